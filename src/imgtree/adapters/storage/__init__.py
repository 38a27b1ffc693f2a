"""Blob storage adapters (`BlobStorage` port): `local` (a directory on disk).

Each backend lives in its own module so importing one never pulls in another's SDK.
"""
