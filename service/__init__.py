"""convmem as a memory service: one process owns a store; HTTP (REST) and MCP clients share it."""
