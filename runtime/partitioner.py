"""Kafka's default partitioner for keyed records, in one place.

Java's `DefaultPartitioner` (and aiokafka's, which copies it) put a keyed record on partition
`toPositive(murmur2(key)) % partitions`. The bridge writes readings keyed by device id, and the
worker must know which partition (and so which of its changelog partitions) a device lives on,
so both compute exactly this. Tested against the Java test vectors (Kafka's UtilsTest) and
against aiokafka's own implementation.
"""

from __future__ import annotations

import struct
from functools import lru_cache

_SEED = 0x9747B28C
_M = 0x5BD1E995
_MASK32 = 0xFFFFFFFF


def murmur2(data: bytes) -> int:
    """MurmurHash2 as Kafka's `Utils.murmur2`, as an unsigned 32-bit value (Java's int bits)."""
    length = len(data)
    h = (_SEED ^ length) & _MASK32
    blocks = length // 4
    # Little-endian 4-byte words, as the Java code assembles them byte by byte.
    for word in struct.unpack_from(f"<{blocks}I", data):
        k = (word * _M) & _MASK32
        k ^= k >> 24
        k = (k * _M) & _MASK32
        h = ((h * _M) & _MASK32) ^ k
    tail = length & 3
    if tail:
        base = blocks * 4
        if tail == 3:
            h ^= data[base + 2] << 16
        if tail >= 2:
            h ^= data[base + 1] << 8
        h ^= data[base]
        h = (h * _M) & _MASK32
    h ^= h >> 13
    h = (h * _M) & _MASK32
    h ^= h >> 15
    return h


def to_positive(hash32: int) -> int:
    """Java's `Utils.toPositive`: drop the sign bit (not abs(): abs(MIN_VALUE) overflows)."""
    return hash32 & 0x7FFFFFFF


def partition_for_key(key: bytes, partitions: int) -> int:
    """The partition Kafka's default partitioner gives a record with this key."""
    if partitions < 1:
        raise ValueError(f"a topic has at least one partition, not {partitions}")
    return to_positive(murmur2(key)) % partitions


@lru_cache(maxsize=65_536)
def partition_for(key: str, partitions: int) -> int:
    """`partition_for_key` of the UTF-8 key. Cached: the worker asks for the same devices on
    every state write and rebalance, and the cache holds a city's busiest devices."""
    return partition_for_key(key.encode(), partitions)
