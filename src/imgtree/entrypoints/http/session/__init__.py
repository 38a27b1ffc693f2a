"""The cookie-session API under /api/* that powers the web app (and guest uploads)."""
