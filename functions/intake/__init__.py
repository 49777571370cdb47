"""HTTP entry points for citizens: the catalogue, applications, complaints and tracking."""
