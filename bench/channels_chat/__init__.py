"""The comparison stack: a minimal Django Channels WebSocket chat with channels_redis.

What a Django developer would build instead of SSE: members join a room's WebSocket; a POST
stores a message in PostgreSQL and sends it to the room's group through the Redis channel
layer. Benchmark only (``bench/scaleout.py`` runs it); not part of the product.
"""
