"""Mail: MIME parsing into parts (pure), and the inbox sources (a folder of .eml files, IMAP)."""
