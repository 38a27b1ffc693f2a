// Drives a live `imgtree serve` through the TypeScript client @hey-api/openapi-ts generated from
// the server's own /api/v1/openapi.json (into ./generated, never edited). Hand-written; run by
// tests/clients/test_generated_clients.py, which re-checks the JSON summary printed at the end.
//
//   node driver.js BASE_URL API_KEY IMAGE_DIR
//
// IMAGE_DIR holds a.png, b.jpg (multipart), c.png (JSON base64), d.png (presign) and e.png,
// f.png (batch presign). Any unexpected answer throws: the process exits non-zero.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { client } from './generated/client.gen';
import { formDataBodySerializer } from './generated/client';
import {
  completeUpload,
  completeUploads,
  deleteImage,
  deleteImageByToken,
  getCapabilities,
  getMedia,
  listImages,
  presignUpload,
  presignUploads,
  putUpload,
  uploadImages,
} from './generated/sdk.gen';
import type {
  FailedItem,
  ListedImage,
  UploadedImage,
  UploadImagesErrors,
  UploadImagesResponses,
  UploadMultipart,
  UploadResponse,
} from './generated/types.gen';

const [baseUrl, apiKey, imageDir] = process.argv.slice(2);

function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

function landed(response: UploadResponse): UploadedImage[] {
  return response.images.map((item: UploadedImage | FailedItem) => {
    check('url' in item, `an upload failed: ${JSON.stringify(item)}`);
    return item as UploadedImage;
  });
}

function image(name: string): Uint8Array<ArrayBuffer> {
  return Uint8Array.from(readFileSync(join(imageDir, name)));
}

function mediaType(name: string): 'image/png' | 'image/jpeg' {
  return name.endsWith('.png') ? 'image/png' : 'image/jpeg';
}

async function sha256(blob: Blob): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', await blob.arrayBuffer());
  return Buffer.from(digest).toString('hex');
}

// The put_url of local storage is this app's PUT route: /api/v1/upload/put/{pendingId}?token=.
function putTarget(putUrl: string): { pendingId: string; token: string } {
  const url = new URL(putUrl);
  const match = /\/api\/v1\/upload\/put\/([0-9a-f-]{36})$/.exec(url.pathname);
  check(match !== null, `not this app's PUT route: ${putUrl}`);
  return { pendingId: match[1], token: url.searchParams.get('token') ?? '' };
}

async function putBytes(
  putUrl: string,
  contentType: string,
  bytes: Uint8Array<ArrayBuffer>,
): Promise<void> {
  const { pendingId, token } = putTarget(putUrl);
  const put = await putUpload({
    path: { pendingId },
    query: { token },
    body: new Blob([bytes], { type: contentType }),
    // The body is raw bytes of the declared type: no JSON serialising.
    bodySerializer: null,
    headers: { 'Content-Type': contentType },
  });
  check(put.data?.success, `PUT: ${put.response.status} ${JSON.stringify(put.error)}`);
}

async function main(): Promise<void> {
  client.setConfig({ baseUrl, auth: apiKey });

  // Discovery: limits, types and routes, and (with the key) its scopes.
  const caps = await getCapabilities();
  check(caps.data, `discovery: ${caps.response.status}`);
  check(caps.data.allowed_types.includes('image/png'), 'png not allowed');
  check(caps.data.scopes?.includes('upload'), `scopes: ${JSON.stringify(caps.data.scopes)}`);

  // Multipart upload of two files. The operation also takes JSON; the generated `uploadImages`
  // sends JSON, so the multipart variant goes through the generated client with the generated
  // UploadMultipart type and form-data serializer.
  const multipart: UploadMultipart = {
    file: ['a.png', 'b.jpg'].map((n) => new Blob([image(n)], { type: mediaType(n) })),
  };
  const two = await client.post<UploadImagesResponses, UploadImagesErrors, false>({
    url: '/api/v1/upload',
    security: [{ scheme: 'bearer', type: 'http' }],
    body: multipart,
    ...formDataBodySerializer,
    headers: { 'Content-Type': null },
  });
  check(two.data, `multipart: ${two.response.status} ${JSON.stringify(two.error)}`);
  check(two.data.images.length === 2, 'two files, two images');
  const uploaded = landed(two.data);

  // JSON base64 upload.
  const one = await uploadImages({
    body: { filename: 'c.png', file_base64: Buffer.from(image('c.png')).toString('base64') },
  });
  check(one.data, `json: ${one.response.status} ${JSON.stringify(one.error)}`);
  uploaded.push(...landed(one.data));

  // Presign, PUT the bytes, complete.
  const d = image('d.png');
  const presigned = await presignUpload({
    body: { filename: 'd.png', contentType: 'image/png', sizeBytes: d.length },
  });
  check(presigned.data, `presign: ${presigned.response.status} ${JSON.stringify(presigned.error)}`);
  await putBytes(presigned.data.put_url, presigned.data.headers['Content-Type'], d);
  const completed = await completeUpload({
    body: { completion_token: presigned.data.completion_token },
  });
  check(completed.data, `complete: ${completed.response.status}`);
  uploaded.push(...landed(completed.data));

  // The same as a batch.
  const names = ['e.png', 'f.png'];
  const batch = await presignUploads({
    body: {
      files: names.map((n) => ({
        filename: n,
        contentType: mediaType(n),
        sizeBytes: image(n).length,
      })),
    },
  });
  check(batch.data, `presign batch: ${batch.response.status}`);
  const tokens: string[] = [];
  for (const [i, item] of batch.data.uploads.entries()) {
    check('put_url' in item, `presign ${names[i]}: ${JSON.stringify(item)}`);
    await putBytes(item.put_url, item.headers['Content-Type'], image(names[i]));
    tokens.push(item.completion_token);
  }
  const finished = await completeUploads({ body: { completion_tokens: tokens } });
  check(finished.data, `complete batch: ${finished.response.status}`);
  uploaded.push(...landed(finished.data));
  check(uploaded.length === 6, `six images, got ${uploaded.length}`);

  // List: every upload is there; the listing gives each slug's UUID.
  const listed = await listImages({ query: { limit: 50 } });
  check(listed.data, `list: ${listed.response.status}`);
  const bySlug = new Map(listed.data.images.map((i: ListedImage) => [i.slug, i]));
  for (const u of uploaded) check(bySlug.has(u.id), `${u.id} not listed`);

  // The published bytes, through the generated media operation.
  const media: Record<string, string> = {};
  for (const u of uploaded) {
    const filename = new URL(u.direct_url).pathname.split('/').pop() ?? '';
    const got = await getMedia({ path: { filename }, parseAs: 'blob' });
    check(got.data instanceof Blob, `media ${filename}: ${got.response.status}`);
    media[u.id] = await sha256(got.data);
  }

  // Delete by id (the key's owner) and by token (the delete_url, no key needed).
  const byId = uploaded[0];
  const deleted = await deleteImage({ path: { imageId: bySlug.get(byId.id)!.id } });
  check(deleted.data?.slug === byId.id, `delete by id: ${deleted.response.status}`);
  const byToken = uploaded[1];
  const deleteUrl = new URL(byToken.delete_url);
  const imageId = deleteUrl.pathname.split('/').pop() ?? '';
  const viaToken = await deleteImageByToken({
    path: { imageId },
    query: { token: deleteUrl.searchParams.get('token') ?? '' },
  });
  check(viaToken.data?.slug === byToken.id, `delete by token: ${viaToken.response.status}`);

  // Deleted images are gone from the listing.
  const after = await listImages({ query: { limit: 50 } });
  check(after.data, `list after: ${after.response.status}`);
  const left = new Set(after.data.images.map((i: ListedImage) => i.slug));
  check(!left.has(byId.id) && !left.has(byToken.id), 'deleted images still listed');

  console.log(
    JSON.stringify({
      uploaded: uploaded.map((u) => u.id),
      media_sha256: media,
      deleted_by_id: byId.id,
      deleted_by_token: byToken.id,
    }),
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
