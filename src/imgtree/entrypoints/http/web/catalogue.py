# ruff: noqa: RUF001  (typographic dashes and signs are the text people read)
"""The web app's English messages: a section per page (see strings.py for the format).

`base` is what every page shows (header, footer, menus, pagers, the shared scripts);
a page sees `base` plus the sections SECTIONS names for its template. Ids are snake_case and
unique within what one page sees; `_html` ids hold trusted markup and stay on the server.
"""

from __future__ import annotations

from collections.abc import Mapping

Message = str | Mapping[str, str]


BASE: dict[str, Message] = {
    "page_title": "{page} · {site}",
    "signed_in_as": "Signed in as {email}",
    "skip_to_content": "Skip to content",
    "main": "Main",
    "upload": "Upload",
    "gallery": "Gallery",
    "albums": "Albums",
    "settings": "Settings",
    "admin": "Admin",
    "sign_out": "Sign out",
    "sign_in": "Sign in",
    "sign_up": "Sign up",
    "api": "API",
    "pages": "Pages",
    "previous": "← Previous",
    "next": "Next →",
}


INDEX: dict[str, Message] = {
    "types_or": "{types} or {last}",
    "list_separator": ", ",
    "upload_limits": "{types}, up to {size} each, {n} per batch.",
    "uploads_go_to_gallery_html": 'Your uploads go to your <a href="/gallery">gallery</a>.',
    "upload_as_guest_html": (
        'Upload as a guest, or <a href="/signup">sign up</a> to keep a gallery and albums.'
    ),
    "uploading_needs_javascript_html": (
        "Uploading from this page needs JavaScript. Without it, use the "
        '<a href="/api/v1/upload">API</a>.'
    ),
    "upload_images": "Upload images",
    "drop_images_here_paste_from": "Drop images here, paste from the clipboard, or",
    "choose_files": "Choose files",
    "album": "Album",
    "no_album": "No album",
    "visibility": "Visibility",
    "guest_uploads_are_unlisted_anyone": "Guest uploads are unlisted: anyone with the link can see them; they are not listed anywhere.",
    "delete_after": "Delete after",
    "format_of_the_copied_links": "Format of the copied links",
    "page_links": "Page links",
    "markdown": "Markdown",
    "bbcode": "BBCode",
    "copy_all_links": "Copy all links",
    "overall_upload_progress": "Overall upload progress",
    "uploads": "Uploads",
    "your_recent_uploads": "Your recent uploads",
    "kept_in_this_browser_only": "Kept in this browser only, so you can come back to the links. Anyone with a delete link can delete the image: keep those private. “Forget” removes links from this browser; the images stay online. Sign up or sign in here to add them to an account.",
    "recent_uploads": "Recent uploads",
    "from_scripts": "From scripts",
    "create_an_api_key_in": "Create an API key in Settings, then:",
    "example_upload_command": "Example upload command",
}


GALLERY: dict[str, Message] = {
    "public_listed_on_profile_html": (
        "Images you make <strong>Public</strong> are listed on "
        '<a href="{profile_url}">your public profile</a>; unlisted ones only by link.'
    ),
    "my_images": "My images",
    "search": "Search",
    "name_or_title": "Name or title",
    "sort": "Sort",
    "newest_first": "Newest first",
    "oldest_first": "Oldest first",
    "largest_first": "Largest first",
    "name_a_z": "Name A–Z",
    "any_visibility": "Any visibility",
    "type": "Type",
    "any_type": "Any type",
    "jpeg": "JPEG",
    "png": "PNG",
    "gif": "GIF",
    "webp": "WebP",
    "avif": "AVIF",
    "selected_images": "Selected images",
    "select_all_on_page": "Select all on page",
    "move_to": "Move to",
    "move_selected_to_album": "Move selected to album",
    "visibility_of_selected": "Visibility of selected",
    "apply": "Apply",
    "clear_selection": "Clear selection",
    "loading": "Loading…",
    "pages_top": "Pages (top)",
    "keyboard_tab_moves_from_image": "Keyboard: Tab moves from image to image; on an image, ← and → reach its checkbox and buttons, Space ticks it.",
    "images": "Images",
    "pages_bottom": "Pages (bottom)",
    "the_gallery_needs_javascript": "The gallery needs JavaScript.",
}


IMAGE: dict[str, Message] = {
    "views": {"one": "{count} view", "other": "{count} views"},
    "image": "Image",
    "never": "Never",
    "expiry_unchanged": "{expiry} (unchanged)",
    "download_original_as": "Download original ({type})",
    "your_image": "Your image",
    "only_you_see_these_controls": "Only you see these controls.",
    "title": "Title",
    "description": "Description",
    "visibility": "Visibility",
    "album": "Album",
    "no_album": "No album",
    "delete_after": "Delete after",
    "save_changes": "Save changes",
    "download": "Download",
    "download_original": "Download original",
    "report_this_image": "Report this image",
    "tell_the_moderators_what_is": "Tell the moderators what is wrong with it. No account needed.",
    "reason": "Reason",
    "harassment_hate_or_violence": "Harassment, hate or violence",
    "sexual_content_involving_minors_or": "Sexual content involving minors or without consent",
    "otherwise_illegal": "Otherwise illegal",
    "copyright_infringement": "Copyright infringement",
    "spam": "Spam",
    "something_else": "Something else",
    "details_optional": "Details (optional)",
    "send_report": "Send report",
}


ALBUM: dict[str, Message] = {
    "album_image_count": {"one": "{n} image", "other": "{n} images"},
    "private": "Private",
    "cover_pick_another": "pick another with “Use as cover”",
    "manage_albums": "Manage albums",
    "upload_to_this_album": "Upload to this album",
    "only_you_see_these_buttons": "Only you see these buttons. Removing an image from the album keeps it in your gallery; Earlier and Later arrange the album for everyone.",
    "this_album_is_empty": "This album is empty.",
    "images_in_this_album": "Images in this album",
}


ALBUMS: dict[str, Message] = {
    "new_album": "New album",
    "optional": "(optional)",
    "public_anyone_with_the_link": "Public (anyone with the link can view it)",
    "create_album": "Create album",
    "loading": "Loading…",
    "your_albums": "Your albums",
    "managing_albums_needs_javascript": "Managing albums needs JavaScript.",
}


PROFILE: dict[str, Message] = {
    "unnamed_user": "imgtree user",
    "image": "Image",
    "public_images_count": {"one": "{n} public image", "other": "{n} public images"},
    "this_is_your_profile_html": (
        "This is your public profile: it lists the images you made <strong>Public</strong>. "
        "Unlisted and private images never appear here."
    ),
    "no_public_images_yet": "No public images yet.",
    "public_images": "Public images",
}


SETTINGS: dict[str, Message] = {
    "in_7_days": "in 7 days",
    "in_30_days": "in 30 days",
    "storage_used_no_limit": "{used} used · no limit",
    "storage_used_of": "{used} of {quota} used ({percent}%)",
    "storage_nearly_full": (
        ". Delete images you no longer need, or ask the administrator for more space."
    ),
    "use_a_key_html": (
        "Use a key as <code>Authorization: Bearer &lt;key&gt;</code> with the "
        '<a href="/api/v1/upload">v1 API</a>. A key is shown only once, when you create it.'
    ),
    "sharex_config_help_html": (
        "Creates a new upload-only key inside a <code>.sxcu</code> file named after this site. "
        "Open the file to add it to ShareX; the key cannot list, delete or administer, and the "
        "delete links ShareX gets keep working."
    ),
    "account": "Account",
    "email": "Email",
    "storage": "Storage",
    "api_keys": "API keys",
    "key_name": "Key name",
    "e_g_laptop_script": "e.g. laptop script",
    "in_90_days": "in 90 days",
    "in_a_year": "in a year",
    "what_the_key_may_do": "What the key may do",
    "upload_images": "Upload images",
    "list_your_images": "List your images",
    "delete_your_images": "Delete your images",
    "upload_into_your_albums": "Upload into your albums",
    "admin_api_users_statistics_audit": "Admin API (users, statistics, audit log)",
    "create_key": "Create key",
    "your_new_key": "Your new key.",
    "copy_it_now_it_will": "Copy it now: it will not be shown again.",
    "new_api_key": "New API key",
    "download_sharex_config": "Download ShareX config",
    "your_api_keys": "Your API keys",
    "no_keys_yet": "No keys yet.",
    "two_factor_sign_in": "Two-factor sign-in",
    "signing_in_asks_for_your": "Signing in asks for your password and, once this is on, a code from an authenticator app on your phone.",
    "set_up_two_factor_sign": "Set up two-factor sign-in",
    "scan_this_code_with_an": "Scan this code with an authenticator app (e.g. Aegis, FreeOTP, Google Authenticator), or type the key in by hand.",
    "qr_code_of_your_two": "QR code of your two-factor key",
    "two_factor_key": "Two-factor key",
    "turn_on": "Turn on",
    "your_recovery_codes": "Your recovery codes.",
    "keep_them_somewhere_safe_each": "Keep them somewhere safe: each signs you in once if you lose your phone. They will not be shown again.",
    "code_from_the_app": "Code from the app",
    "new_recovery_codes": "New recovery codes",
    "password": "Password",
    "code_from_the_app_or": "Code from the app, or a recovery code",
    "turn_off_two_factor_sign": "Turn off two-factor sign-in",
    "sessions": "Sessions",
    "where_your_account_is_signed": "Where your account is signed in. Sign out any session you do not recognise, then change your password.",
    "your_signed_in_sessions_newest": "Your signed-in sessions, newest first",
    "actions": "Actions",
    "sign_out_everywhere_else": "Sign out everywhere else",
    "current_password": "Current password",
    "new_password": "New password",
    "repeat_new_password": "Repeat new password",
    "change_password": "Change password",
}


LOGIN: dict[str, Message] = {
    "email": "Email",
    "password": "Password",
    "two_factor_code": "Two-factor code",
    "the_6_digit_code_from": "The 6-digit code from your authenticator app, or one of your recovery codes.",
    "signing_in_needs_javascript": "Signing in needs JavaScript.",
    "no_account_yet": "No account yet?",
}


SIGNUP: dict[str, Message] = {
    "create_an_account": "Create an account",
    "name": "Name",
    "optional": "(optional)",
    "email": "Email",
    "password": "Password",
    "at_least_8_characters": "At least 8 characters.",
    "signing_up_needs_javascript": "Signing up needs JavaScript.",
    "already_have_an_account": "Already have an account?",
}


ADMIN: dict[str, Message] = {
    "uploads_7d_30d_html": (
        '<span data-stat="last_7d">–</span> in 7 days · '
        '<span data-stat="last_30d">–</span> in 30 days'
    ),
    "refresh": "Refresh",
    "the_admin_page_needs_javascript": "The admin page needs JavaScript.",
    "overview": "Overview",
    "stored": "Stored",
    "in_24_h": "in 24 h",
    "guest_account_uploads": "Guest / account uploads",
    "pending_presigns": "Pending presigns",
    "uploads_per_day_last_30": "Uploads per day, last 30 days",
    "storage_over_time_bytes_uploaded": "Storage over time (bytes uploaded, cumulative)",
    "by_type": "By type",
    "images_by_type": "Images by type",
    "type": "Type",
    "top_uploaders": "Top uploaders",
    "users": "Users",
    "search_by_email_or_name": "Search by email or name",
    "users_change_a_row_then": "Users; change a row, then press its Save button",
    "user": "User",
    "quota_empty_unlimited": "Quota (empty = unlimited)",
    "used": "Used",
    "created": "Created",
    "user_pages": "User pages",
    "images_with_open_reports_the": "Images with open reports, the most recently reported first",
    "report_pages": "Report pages",
    "images": "Images",
    "search_by_title_file_name": "Search by title, file name or slug",
    "show": "Show",
    "all_images": "All images",
    "guest_uploads": "Guest uploads",
    "reported": "Reported",
    "search": "Search",
    "every_image_newest_first": "Every image, newest first",
    "image": "Image",
    "owner": "Owner",
    "uploaded": "Uploaded",
    "address_hash": "Address hash",
    "reports": "Reports",
    "actions": "Actions",
    "image_pages": "Image pages",
    "audit_log": "Audit log",
    "loading": "Loading…",
    "changes_to_accounts_newest_first": "Changes to accounts, newest first",
    "when": "When",
    "who": "Who",
    "account": "Account",
    "what_changed": "What changed",
    "audit_log_pages": "Audit log pages",
    "newer": "← Newer",
    "older": "Older →",
}


DELETE_CONFIRM: dict[str, Message] = {
    "delete_image_title": "Delete image?",
    "this_removes_html": (
        "This removes <strong>{name}</strong> and its links for everyone. It cannot be undone."
    ),
    "delete_this_image": "Delete this image?",
    "delete_image": "Delete image",
    "keep_it": "Keep it",
}


# The message page's headings and sentences: the routes pass them through strings.message().
MESSAGE: dict[str, Message] = {
    "not_found": "Not found",
    "image_not_found": "This image does not exist or was deleted.",
    "album_not_found": "This album does not exist, or it is private.",
    "profile_not_found": "There is no such profile.",
    "too_many_requests": "Too many requests",
    "too_many_misses": "Too many requests for links that do not exist. Try again later.",
    "too_many_passwords": "Too many wrong passwords. Try again later.",
    "not_unlocked": "Not unlocked",
    "unlock_from_this_site": "The password form must be sent from this site's own page.",
    "nothing_here": "Nothing here.",
    "not_deleted": "Not deleted",
    "link_not_valid": "Link not valid",
    "delete_link_invalid": "This delete link is invalid, or the image was already deleted.",
    "deleted": "Deleted",
    "image_deleted": "The image was deleted.",
    "two_factor_required": "Two-factor sign-in required",
    # The sentence the admin API answers with (domain TWO_FACTOR_FOR_ADMINS), as a page says it.
    "admin_needs_two_factor": "Turn on two-factor sign-in to use the admin tools.",
    "turn_it_on_in_settings": "Turn it on in Settings",
    "admins_only": "Admins only",
    "admins_only_text": (
        "This page is for the instance's administrators. Your account does not have the admin role."
    ),
}

# The password form a visitor gets in place of a protected image or album (locked.html).
LOCKED: dict[str, Message] = {
    "password_required": "Password required",
    "locked_heading_image": "This image is password-protected",
    "locked_text_image": "Enter the password its owner gave you to see it.",
    "locked_heading_album": "This album is password-protected",
    "locked_text_album": "Enter the password its owner gave you to see its images.",
    "password": "Password",
    "unlock": "Unlock",
    "unlock_lasts": "The unlock lasts an hour in this browser.",
    "wrong_password": "Wrong password",
}

# The owner's password control on the image and album pages (_password_form.html).
PASSWORD_FORM: dict[str, Message] = {
    "password_heading": "Password",
    "password_on_image": "Visitors must enter a password to see this image.",
    "password_on_album": "Visitors must enter a password to see this album.",
    "password_off_image": "No password: anyone with the link sees this image.",
    "password_off_album": "No password: anyone with the link sees this album.",
    "new_password": "New password",
    "set_password": "Set password",
    "change_password": "Change password",
    "remove_password": "Remove password",
    "password_change_signs_out": (
        "Changing or removing the password signs out everyone who entered the old one."
    ),
}

# Visibility and "delete after" choices, where they are offered (upload, image, gallery pages).
CHOICES: dict[str, Message] = {
    "vis_label_unlisted": "Unlisted",
    "vis_help_unlisted": "Anyone with the link can see it; it is not listed anywhere.",
    "vis_label_public": "Public",
    "vis_help_public": "Anyone with the link can see it, and it is listed on your public profile.",
    "vis_label_private": "Private",
    "vis_help_private": "Only you can see it: its links show “not found” to everyone else.",
    "expiry_label_never": "Never",
    "expiry_label_3600": "1 hour",
    "expiry_label_86400": "1 day",
    "expiry_label_604800": "1 week",
    "expiry_label_2592000": "1 month",
    "expiry_label_31536000": "1 year",
}

# What a page past the last one says (templates/_macros.html, static/gallery.js).
OUT_OF_RANGE: dict[str, Message] = {
    "go_to_the_first_page": "Go to the first page",
    "go_to_the_last_page": "Go to the last page",
    "no_page_album": {
        "one": "There is no page {page}: this album has 1 page.",
        "other": "There is no page {page}: this album has {n} pages.",
    },
    "no_page_profile": {
        "one": "There is no page {page}: this profile has 1 page.",
        "other": "There is no page {page}: this profile has {n} pages.",
    },
    "no_page_gallery": {
        "one": "There is no page {page}: your gallery has 1 page.",
        "other": "There is no page {page}: your gallery has {n} pages.",
    },
    "no_page_results": {
        "one": "There is no page {page}: these results have 1 page.",
        "other": "There is no page {page}: these results have {n} pages.",
    },
}

# The scripts' messages, a section per file in static/ (the page ships them as JSON).
COMMON_JS: dict[str, Message] = {
    "open_image_page": "Open image page",
    "delete_link": "Delete link",
    "copy_failed": "Copy failed",
    "dark_theme": "Dark theme",
    "light_theme": "Light theme",
    "page_of": "Page {page} of {last}",
    "network_error": "Network error: the server could not be reached.",
    "request_failed": "Request failed ({status}).",
    "copied": "Copied!",
    "press_ctrl_c": "Press Ctrl+C",
    "copy": "Copy",
    "copy_code": "Copy {code}",
    "share_page_label": "Page link",
    "share_direct_label": "Direct link",
    "share_markdown_label": "Markdown",
    "share_html_label": "HTML",
    "share_bbcode_label": "BBCode",
    "share_markdown_thumb_label": "Markdown (thumbnail)",
    "share_html_thumb_label": "HTML (thumbnail)",
    "share_bbcode_thumb_label": "BBCode (thumbnail)",
    "share": "Share",
    "share_subject": "Share “{subject}”",
    "labelled_subject": "{label} {subject}",
    "close": "Close",
    "expires_in_years": {"one": "Expires in {n} year", "other": "Expires in {n} years"},
    "expires_in_days": {"one": "Expires in {n} day", "other": "Expires in {n} days"},
    "expires_in_hours": {"one": "Expires in {n} hour", "other": "Expires in {n} hours"},
    "expires_in_minutes": {"one": "Expires in {n} minute", "other": "Expires in {n} minutes"},
    "expires_in_less_than_a_minute": "Expires in less than a minute",
    # password-protected images and albums: the badge on tiles and lists, the locked tile
    "password_badge": "Password",
    "locked_tile": "Password-protected",
    "locked_tile_label": "Password-protected: open it to enter the password",
}

RECENT_JS: dict[str, Message] = {
    "forget": "Forget",
    "forget_label": "Forget {name} (the image stays online)",
    "recent_count": {"one": "{n} image", "other": "{n} images"},
    "add_them": "Add them",
    "not_now": "Not now",
    "claim_prompt": {
        "one": "You uploaded {n} image as a guest in this browser. Add it to your account?",
        "other": "You uploaded {n} images as a guest in this browser. Add them to your account?",
    },
    "claimed": {
        "one": "Added {n} image to your account.",
        "other": "Added {n} images to your account.",
    },
    "claim_kept": (
        "{n} could not be added now (storage quota or too many attempts); they stay listed here."
    ),
    "forget_all": "Forget all",
    "forget_all_confirm": "Forget all: sure?",
    "recent_uploads_subject": "recent uploads",
}

UPLOAD_JS: dict[str, Message] = {
    "an_image": "an image",
    "refused_type": "Not sent: {type} is not {types}.",
    "this_file": "this file",
    "refused_empty": "Not sent: the file is empty.",
    "refused_size": "Not sent: {size} is over the {limit} limit.",
    "not_sent": "Not sent",
    "image": "image",
    "upload_progress_for": "Upload progress for {name}",
    "queued": "Queued",
    "cancel": "Cancel",
    "cancel_name": "Cancel {name}",
    "retry": "Retry",
    "retry_name": "Retry {name}",
    "batch_uploaded": "{done} of {total} uploaded",
    "batch_failed": "{n} failed",
    "batch_not_sent": "{n} not sent",
    "sending": "Sending…",
    "failed_after_attempts": "Upload failed after {n} attempts ({why}). Try again later.",
    "waiting": "Waiting {seconds}s ({why})…",
    "why_rate_limit": "rate limit",
    "why_server_busy": "server busy",
    "why_network_error": "network error",
    "upload_failed_status": "Upload failed ({status}).",
    "guest_uploads_off": "Guest uploads are not available here. Sign in or sign up to upload.",
    "preparing": "Preparing…",
    "processing": "Processing…",
    "done": "Done",
    "failed": "Failed",
    "cancelled": "Cancelled",
    "percent_of": "{percent}% of {size}",
    "keep_delete_link_private": "Keep this delete link private: anyone who has it can delete the image.",
    "copied_links": {"one": "Copied {n} link", "other": "Copied {n} links"},
}

GALLERY_JS: dict[str, Message] = {
    "no_album_lower": "no album",
    "album_for": "Album for {name}",
    "no_album": "No album",
    "move": "Move",
    "moved_to_album": "Moved “{name}” to “{album}”.",
    "moved_to_no_album": "Moved “{name}” to no album.",
    "delete": "Delete",
    "confirm_delete": "Confirm delete",
    "deleted_name": "Deleted “{name}”.",
    "views": {"one": "{count} view", "other": "{count} views"},
    "select_name": "Select {name}",
    "select": "Select",
    "actions": "Actions",
    "actions_for": "Actions for {name}",
    "album": "Album",
    "n_selected": "{n} selected",
    "bulk_failed": "{n} could not be changed (deleted or not yours).",
    "bulk_deleted": {"one": "Deleted {n} image.", "other": "Deleted {n} images."},
    "selected_images_subject": "selected images",
    "bulk_moved": {
        "one": "Moved to “{album}”: {n} image.",
        "other": "Moved to “{album}”: {n} images.",
    },
    "bulk_moved_out": {
        "one": "Moved to no album: {n} image.",
        "other": "Moved to no album: {n} images.",
    },
    "bulk_made": {
        "one": "Made {visibility}: {n} image.",
        "other": "Made {visibility}: {n} images.",
    },
    "description_of": "Description of {name}",
    "save": "Save",
    "saved_visibility": "Saved “{name}”: {visibility}.",
    "visibility": "Visibility",
    "description": "Description",
    "copy_link": "Copy link",
    "copy_link_to": "Copy link to {name}",
    "all_albums": "All albums",
    "no_images_match": "No images match.",
    "no_images_yet": "No images yet.",
    "show_all_images": "Show all images",
    "upload_some": "Upload some",
    "sentence_end": ".",
    "images_match": {"one": "{n} image match", "other": "{n} images match"},
    "images_count": {"one": "{n} image", "other": "{n} images"},
}

ALBUM_JS: dict[str, Message] = {
    "album": "Album",
    "image": "image",
    "already_first": "It is already first.",
    "already_last": "It is already last.",
    "moved_earlier": "Moved “{name}” earlier.",
    "moved_later": "Moved “{name}” later.",
    "cover": "Cover",
    "use_as_cover": "Use as cover",
    # Each button's accessible name starts with its visible words, then the image's name
    # (WCAG 2.5.3 "label in name": speech users say what they see).
    "earlier": "← Earlier",
    "later": "Later →",
    "move_earlier_label": "Earlier: {name}",
    "move_later_label": "Later: {name}",
    "use_as_cover_label": "Use as cover: {name}",
    "is_the_cover": "“{name}” is the album's cover.",
    "remove_from_album": "Remove from album",
    "remove_from_album_label": "Remove from album: {name}",
    "removed_from_album": "Removed “{name}” from the album. It is still in your gallery.",
}

ALBUMS_JS: dict[str, Message] = {
    "album_meta_public": {"one": "{n} image · Public", "other": "{n} images · Public"},
    "album_meta_private": {"one": "{n} image · Private", "other": "{n} images · Private"},
    "title": "Title",
    "description": "Description",
    "public": "Public",
    "save": "Save",
    "saved_name": "Saved “{name}”.",
    "edit": "Edit",
    "edit_name": "Edit {name}",
    "delete_album_note": "Deleting the album keeps its images: they stay in your gallery, just no longer in an album.",
    "delete": "Delete",
    "confirm_delete": "Confirm delete",
    "deleted_name": "Deleted “{name}”.",
    "no_albums_yet": "No albums yet.",
    "give_album_title": "Give the album a title.",
    "created_name": "Created “{name}”.",
}

PASSWORD_OWNER_JS: dict[str, Message] = {
    "password_saved": "Password saved.",
    "password_removed": "Password removed.",
    "type_a_password_first": "Type a password first.",
}

IMAGE_OWNER_JS: dict[str, Message] = {
    "nothing_changed": "Nothing changed.",
    "saved": "Saved.",
    "delete_image": "Delete image",
    "confirm_delete": "Confirm delete",
}

REPORT_JS: dict[str, Message] = {
    "report_failed": "The report could not be sent ({status}).",
    "already_reported": "You already reported this image; the moderators have it.",
    "report_thanks": "Thank you: the moderators will look at it.",
    "report_network_error": "Network error: the report could not be sent.",
}

AUTH_JS: dict[str, Message] = {
    "enter_email_and_password": "Enter your email and a password.",
    "password_too_short": "The password must be at least 8 characters long.",
    "enter_the_code": "Enter the code from your authenticator app, or a recovery code.",
    "something_went_wrong": "Something went wrong.",
}

SETTINGS_JS: dict[str, Message] = {
    "revoked": "Revoked",
    "expired": "Expired",
    "active": "Active",
    "name": "Name",
    "prefix": "Prefix",
    "created": "Created",
    "last_used": "Last used",
    "never": "Never",
    "uploads": "Uploads",
    "scopes": "Scopes",
    "expires": "Expires",
    "status": "Status",
    "revoke": "Revoke",
    "confirm_revoke": "Confirm revoke",
    "revoked_name": "Revoked “{name}”.",
    "give_key_name": "Give the key a name.",
    "choose_a_scope": "Choose at least one thing the key may do.",
    "sharex_downloaded": "Downloaded {file} with a new upload-only key. Keep the file private.",
    "fill_in_passwords": "Fill in your current and your new password.",
    "new_password_too_short": "The new password must be at least 8 characters long.",
    "passwords_do_not_match": "The new passwords do not match.",
    "password_changed": "Password changed. Your other sessions were signed out.",
}

SESSIONS_JS: dict[str, Message] = {
    "device": "Device",
    "this_device": "this device",
    "device_at_address": "{device} at {address}",
    "sign_out_button": "Sign out",
    "confirm_sign_out": "Confirm sign out",
    "signed_out_session": "Signed out {session}.",
    "address": "Address",
    "unknown": "unknown",
    "signed_in": "Signed in",
    "last_seen": "Last seen",
    "signed_out_others": {
        "one": "Signed out {n} other session.",
        "other": "Signed out {n} other sessions.",
    },
}

TWOFACTOR_JS: dict[str, Message] = {
    "two_factor_state_on": (
        "Two-factor sign-in is on: signing in asks for a code from your authenticator app."
    ),
    "two_factor_state_off": (
        "Two-factor sign-in is off. Turn it on to ask for a code from an authenticator app "
        "as well as your password."
    ),
    "two_factor_turned_on": "Two-factor sign-in is on.",
    "new_recovery_codes_made": "New recovery codes made; the old ones no longer work.",
    "two_factor_turned_off": "Two-factor sign-in is off.",
}

ADMIN_JS: dict[str, Message] = {
    "audit_unblocked": {
        "one": "unblocked {count} file hash",
        "other": "unblocked {count} file hashes",
    },
    "audit_blocked_reason": "blocked for: {reason}",
    "chart_uploads_point": {
        "one": "{day}: {count} upload, {size}",
        "other": "{day}: {count} uploads, {size}",
    },
    "chart_storage_point": "{day}: {size}",
    "chart_uploads_title": "Uploads per day, last {days} days",
    "chart_uploads_desc": {
        "one": "{count} upload in {days} days.",
        "other": "{count} uploads in {days} days.",
    },
    "uploads_per_day": "Uploads per day",
    "day": "Day",
    "uploads": "Uploads",
    "size": "Size",
    "chart_storage_title": "Storage over time, last {days} days",
    "chart_storage_desc": "{size} uploaded in {days} days (cumulative).",
    "bytes_uploaded_cumulative": "Bytes uploaded, cumulative",
    "bytes_uploaded": "Bytes uploaded",
    "active_users": "({count} active)",
    "no_images_yet": "No images yet.",
    "no_account_uploads_yet": "No account uploads yet.",
    "unlimited": "unlimited",
    "role_for": "Role for {who}",
    "role_user": "user",
    "role_admin": "admin",
    "quota_for": "Quota for {who} (empty for unlimited)",
    "quota_unit_for": "Quota unit for {who}",
    "save": "Save",
    "save_who": "Save {who}",
    "you": "you",
    "inactive": "inactive",
    "bytes_left": "{size} left",
    "bad_quota": "The quota must be a number of MB or GB, or empty for unlimited.",
    "nothing_to_save": "Nothing to save.",
    "saving": "Saving…",
    "saved": "Saved.",
    "end_sessions": "End sessions",
    "confirm_end_sessions": "Confirm end sessions",
    "ending_sessions": "Ending sessions…",
    "sessions_ended": {"one": "{count} session ended.", "other": "{count} sessions ended."},
    "active_who": "Active: {who}",
    "no_users": "No users.",
    "users_count": {"one": "{count} user", "other": "{count} users"},
    "users_matching": {
        "one": "{count} user matching “{q}”",
        "other": "{count} users matching “{q}”",
    },
    "no_users_match": "No users match “{q}”.",
    "role": "Role",
    "active": "Active",
    "quota": "Quota",
    "yes": "yes",
    "no": "no",
    "none": "none",
    "no_change": "No change",
    "field_label": "{field}: ",
    "command_line": "command line",
    "audit_image": "image {slug}",
    "audit_blocked": {"one": "blocked {count} file hash", "other": "blocked {count} file hashes"},
    "audit_reports_closed": {"one": "{count} report closed", "other": "{count} reports closed"},
    "audit_reason": "reason: {reason}",
    "audit_signed_out_everywhere": {
        "one": "Signed out everywhere ({count} session)",
        "other": "Signed out everywhere ({count} sessions)",
    },
    "changes_newest_first": {
        "one": "{count} change, newest first.",
        "other": "{count} changes, newest first.",
    },
    "no_changes_yet": "No changes recorded yet.",
    "confirm_delete_and_block": "Delete this image and block its file from being uploaded again?",
    "confirm_delete_image": "Delete this image?",
    "removed_by_moderator": "Removed by a moderator",
    "unhide": "Unhide",
    "hide": "Hide",
    "delete": "Delete",
    "delete_and_block": "Delete + block",
    "hidden": "hidden",
    "guest": "guest",
    "no_images": "No images.",
    "images_newest_first": {
        "one": "{count} image, newest first.",
        "other": "{count} images, newest first.",
    },
    "dismiss": "Dismiss",
    "deleted_image": "deleted image",
    "reported_images": {
        "one": "{count} reported image, the most recently reported first.",
        "other": "{count} reported images, the most recently reported first.",
    },
    "no_open_reports": "No open reports.",
}

CATALOGUE: dict[str, dict[str, Message]] = {
    "base": BASE,
    "index": INDEX,
    "gallery": GALLERY,
    "image": IMAGE,
    "album": ALBUM,
    "albums": ALBUMS,
    "profile": PROFILE,
    "settings": SETTINGS,
    "login": LOGIN,
    "signup": SIGNUP,
    "admin": ADMIN,
    "delete_confirm": DELETE_CONFIRM,
    "message": MESSAGE,
    "locked": LOCKED,
    "password_form": PASSWORD_FORM,
    "out_of_range": OUT_OF_RANGE,
    "choices": CHOICES,
    "common.js": COMMON_JS,
    "recent.js": RECENT_JS,
    "upload.js": UPLOAD_JS,
    "gallery.js": GALLERY_JS,
    "album.js": ALBUM_JS,
    "albums.js": ALBUMS_JS,
    "image_owner.js": IMAGE_OWNER_JS,
    "password_owner.js": PASSWORD_OWNER_JS,
    "report.js": REPORT_JS,
    "auth.js": AUTH_JS,
    "settings.js": SETTINGS_JS,
    "sessions.js": SESSIONS_JS,
    "twofactor.js": TWOFACTOR_JS,
    "admin.js": ADMIN_JS,
}

# The sections each template sees as `t` (besides its SCRIPTS); not listed: `base` only.
SECTIONS: dict[str, tuple[str, ...]] = {
    "index.html": ("base", "choices", "index"),
    "gallery.html": ("base", "choices", "gallery"),
    "image.html": ("base", "choices", "image", "password_form"),
    "album.html": ("base", "out_of_range", "album", "password_form"),
    "albums.html": ("base", "albums"),
    "profile.html": ("base", "out_of_range", "profile"),
    "settings.html": ("base", "settings"),
    "login.html": ("base", "login"),
    "signup.html": ("base", "signup"),
    "admin.html": ("base", "admin"),
    "delete_confirm.html": ("base", "delete_confirm"),
    "message.html": ("base", "message"),
    "locked.html": ("base", "locked"),
}

# The sections a template's page ships to its scripts (<script id="ui-strings">): those of
# the scripts it loads, after common.js's (every page loads it). Its template sees them too.
SCRIPTS: dict[str, tuple[str, ...]] = {
    "index.html": ("recent.js", "upload.js"),
    "gallery.html": ("out_of_range", "recent.js", "gallery.js"),
    "image.html": ("image_owner.js", "password_owner.js", "report.js"),
    "album.html": ("album.js", "password_owner.js"),
    "albums.html": ("albums.js",),
    "settings.html": ("settings.js", "sessions.js", "twofactor.js"),
    "login.html": ("auth.js",),
    "signup.html": ("auth.js",),
    "admin.html": ("admin.js",),
}
