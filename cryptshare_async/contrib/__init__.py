"""Integrations with other libraries, each behind its own extra.

* :mod:`cryptshare_async.contrib.redis` (``pip install 'cryptshare-async[redis]'``):
  ``RedisTokenStore`` and ``RedisJournal``, verification tokens and the batch journal
  shared by every process of a fleet.
* :mod:`cryptshare_async.contrib.arq` (``pip install 'cryptshare-async[arq]'``): a worker
  fleet on arq (asyncio jobs on Redis) that sends each job exactly once.

Nothing here is imported by ``import cryptshare_async``.
"""
