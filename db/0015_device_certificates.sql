-- 0015 证书: each device record carries the X.509 certificate the county hub issued for
-- its signing key (PEM, services/certificates.py); the hub's own is the county's root.
-- Reports are signed with it (PAdES) and checked against it anywhere, offline.

ALTER TABLE devices ADD COLUMN certificate TEXT;
