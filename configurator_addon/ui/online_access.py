"""Blender's *Allow Online Access* (Preferences › System › Network), which every add-on must
honour: while it is off (`bpy.app.online_access` false) the add-on reaches nothing beyond this
machine.

Serving on a loopback address is not online access: nothing leaves the machine and nothing
outside it can connect. So *Start Server* works offline when the server listens on a loopback
host and everything it talks to is on this machine too (the embedded database or a
`DATABASE_URL` on localhost, local blobs or Azurite on localhost, mail logged or sent to a
local SMTP server); otherwise it is refused, saying what to change. An outbound call (publishing
to a server) asks `refusal_for_url` first: a server on this machine is allowed offline.
"""
from __future__ import annotations

import ipaddress
import urllib.parse

import bpy

LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"}
HOW_TO_ALLOW = "allow it in Preferences › System › Network › Allow Online Access"


class OnlineAccessRefused(RuntimeError):
    """What was asked needs the network, and Blender's online access is off."""


def is_loopback_host(host: str | None) -> bool:
    """True for a name or address of this machine only; an empty host (every address) is not."""
    if not host:
        return False
    host = host.strip("[]").lower()
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _database_is_local(dsn: str) -> bool:
    parts = urllib.parse.urlsplit(dsn)
    hosts = []
    for item in parts.netloc.rpartition("@")[2].split(","):  # libpq allows host1:port1,host2:port2
        hosts.append(item[1:item.find("]")] if item.startswith("[") else item.split(":")[0])
    hosts += [host for value in urllib.parse.parse_qs(parts.query).get("host", []) for host in value.split(",")]
    hosts = [host for host in hosts if host]
    # No host at all is libpq's default: the local Unix socket; a path is a Unix socket too.
    return all(host.startswith("/") or is_loopback_host(host) for host in hosts)


def _blob_store_is_local(connection_string: str) -> bool:
    fields = dict(item.split("=", 1) for item in connection_string.split(";") if "=" in item)
    if fields.get("UseDevelopmentStorage", "").lower() == "true":
        return True  # Azurite on this machine
    endpoint = fields.get("BlobEndpoint")
    return bool(endpoint) and is_loopback_host(urllib.parse.urlsplit(endpoint).hostname)


def refusal_for_server(settings) -> str | None:
    """Why the server may not start under Blender's online access setting, or None."""
    if bpy.app.online_access:
        return None
    remote = []
    if not is_loopback_host(settings.host):
        remote.append(f"it would listen on {settings.host or 'every address'} (HOST)")
    if settings.database_url and not _database_is_local(settings.database_url):
        remote.append("its database is on another machine (DATABASE_URL)")
    if settings.azure_storage_connection_string and not _blob_store_is_local(settings.azure_storage_connection_string):
        remote.append("its blobs are in Azure (AZURE_STORAGE_CONNECTION_STRING)")
    if settings.smtp_url and not is_loopback_host(urllib.parse.urlsplit(settings.smtp_url).hostname):
        remote.append("it would send mail through another machine (SMTP_URL)")
    if not remote:
        return None
    return (f"Blender's online access is off, and {'; '.join(remote)}: {HOW_TO_ALLOW}, or serve on this "
            "machine only (HOST=127.0.0.1, the embedded database, local blobs, no SMTP_URL)")


def refusal_for_url(url: str) -> str | None:
    """Why `url` may not be reached under Blender's online access setting, or None."""
    host = urllib.parse.urlsplit(url).hostname
    if bpy.app.online_access or is_loopback_host(host):
        return None
    return f"Blender's online access is off, and {host or url} is not on this machine: {HOW_TO_ALLOW}"


def require_online_access_for_url(url: str) -> None:
    if refusal := refusal_for_url(url):
        raise OnlineAccessRefused(refusal)
