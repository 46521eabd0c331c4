"""Platform: connection, migrations, the shared write path, permissions, users and sessions, audit."""
