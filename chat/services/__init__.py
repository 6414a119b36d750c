"""Writes of chat, one module per area (rooms, messages, ...). Keyword-only, typed."""
