"""The operator API under /api/admin/* (admin role only)."""
