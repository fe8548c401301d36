"""The register's migrations, oldest first."""
