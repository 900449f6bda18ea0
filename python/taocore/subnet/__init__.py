"""A local Bittensor subnet (work in progress): so far the durable SQLite ledger that checks and
records signed weight submissions (:mod:`taocore.subnet.ledger`).
"""
