"""/api/auth/2fa/*: two-factor sign-in in the account's settings — setup (secret, otpauth URI
and QR code), enable (first code; recovery codes once), disable, new recovery codes."""

from __future__ import annotations

import io

import attrs
import falcon
import segno

from imgtree.domain.use_cases.two_factor import TwoFactor
from imgtree.entrypoints.http.commands import text_or_none
from imgtree.entrypoints.http.guards import Guards
from imgtree.entrypoints.http.requests import rate_limit_client, read_json_object
from imgtree.entrypoints.http.session.guard import SessionGuard


def qr_svg(text: str) -> str:
    """`text` as a QR code: a standalone SVG document (no script, no external reference).
    The page shows it as an <img> with a data: URI, which the CSP's img-src allows; an
    image-context SVG never runs script."""
    out = io.BytesIO()
    segno.make(text, error="m").save(out, kind="svg", scale=5, border=2, xmldecl=False, svgns=True)
    return out.getvalue().decode("utf-8")


@attrs.define
class _TwoFactorResource:
    two_factor: TwoFactor
    guard: SessionGuard
    guards: Guards

    def _client(self, req: falcon.Request) -> str:
        return rate_limit_client(req, self.guards.trusted_proxies)


class TwoFactorSetupResource(_TwoFactorResource):
    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        context = self.guard.require(req)
        enrolment = self.two_factor.setup(context.user.id)
        resp.media = {
            "success": True,
            "secret": enrolment.secret,
            "otpauth_uri": enrolment.uri,
            "qr_svg": qr_svg(enrolment.uri),
        }


class TwoFactorEnableResource(_TwoFactorResource):
    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        context = self.guard.require(req)
        doc = read_json_object(req)
        codes = self.two_factor.enable(
            context.user.id, text_or_none(doc.get("code")), client=self._client(req)
        )
        resp.media = {"success": True, "recovery_codes": list(codes)}


class TwoFactorDisableResource(_TwoFactorResource):
    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        context = self.guard.require(req)
        doc = read_json_object(req)
        self.two_factor.disable(
            context.user.id,
            text_or_none(doc.get("password")),
            text_or_none(doc.get("code")),
            client=self._client(req),
        )
        resp.media = {"success": True}


class RecoveryCodesResource(_TwoFactorResource):
    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        context = self.guard.require(req)
        doc = read_json_object(req)
        codes = self.two_factor.new_recovery_codes(
            context.user.id, text_or_none(doc.get("code")), client=self._client(req)
        )
        resp.media = {"success": True, "recovery_codes": list(codes)}
