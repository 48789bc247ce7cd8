"""A stable hardware fingerprint: the OS's machine id, hashed so it never leaves the machine."""

from __future__ import annotations

import hashlib
import platform
import subprocess
import sys
import uuid
from pathlib import Path


def machine_identity() -> str:
    """The most stable id the OS offers: survives reboots, app reinstalls and network changes."""
    for path in ("/etc/machine-id", "/var/lib/dbus/machine-id"):
        try:
            text = Path(path).read_text().strip()
        except OSError:
            continue
        if text:
            return f"machine-id:{text}"
    if sys.platform == "darwin":
        output = subprocess.run(["ioreg", "-rd1", "-c", "IOPlatformExpertDevice"], capture_output=True, text=True).stdout
        for line in output.splitlines():
            if "IOPlatformUUID" in line:
                return "platform-uuid:" + line.split("=")[-1].strip().strip('"')
    if sys.platform == "win32":
        import winreg

        with winreg.OpenKey(winreg.HKEY_LOCAL_MACHINE, r"SOFTWARE\Microsoft\Cryptography") as key:
            return f"machine-guid:{winreg.QueryValueEx(key, 'MachineGuid')[0]}"
    # Last resort: a network card's address and the host name (either may change).
    return f"node:{uuid.getnode():012x}:{platform.node()}"


def hardware_fingerprint() -> str:
    """64 hex digits, the same on every run on this machine."""
    return hashlib.sha256(f"jobspy-web-license/1:{machine_identity()}".encode()).hexdigest()
