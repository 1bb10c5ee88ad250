"""Operations: backups that restore anywhere, into SQLite or PostgreSQL."""
