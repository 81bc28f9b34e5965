using Isa.Runtime.Memory;
using Microsoft.Win32.SafeHandles;

namespace Isa.Runtime.Linux;

public sealed partial class LinuxKernel
{
    private const int ProtRead = 1, ProtWrite = 2, ProtExec = 4;
    private const int MapFixed = 0x10, MapAnonymous = 0x20, MapFixedNoReplace = 0x100000;

    private static MemoryPermissions Permissions(int prot) =>
        ((prot & ProtRead) != 0 ? MemoryPermissions.Read : 0)
        | ((prot & ProtWrite) != 0 ? MemoryPermissions.Write : 0)
        | ((prot & ProtExec) != 0 ? MemoryPermissions.Execute : 0);

    private static uint PageUp(ulong value) => (uint)((value + GuestMemory.PageMask) & ~(ulong)GuestMemory.PageMask);

    // Threads share the address space: each layout change happens under its lock.
    private long SetBreak(uint requested)
    {
        lock (_process.AddressSpaceLock)
        {
            return SetBreakLocked(requested);
        }
    }

    private long Mmap(uint hint, uint length, int prot, int guestFlags, int guestFd, long offset)
    {
        lock (_process.AddressSpaceLock)
        {
            return MmapLocked(hint, length, prot, guestFlags, guestFd, offset);
        }
    }

    private long Munmap(uint address, uint length)
    {
        lock (_process.AddressSpaceLock)
        {
            return MunmapLocked(address, length);
        }
    }

    private long Mprotect(uint address, uint length, int prot)
    {
        lock (_process.AddressSpaceLock)
        {
            return MprotectLocked(address, length, prot);
        }
    }

    /// <summary>brk: grows or shrinks the heap; on failure returns the old break, as Linux does.</summary>
    private long SetBreakLocked(uint requested)
    {
        if (requested < _process.BrkStart)
        {
            return _process.Brk;
        }

        uint oldTop = PageUp(_process.Brk), newTop = PageUp(requested);
        if (newTop > oldTop)
        {
            for (uint page = oldTop; page < newTop; page += GuestMemory.PageSize)
            {
                if (_memory.IsMapped(page))
                {
                    return _process.Brk;
                }
            }

            _memory.Map(oldTop, newTop - oldTop, MemoryPermissions.ReadWrite);
        }
        else if (newTop < oldTop)
        {
            _memory.Unmap(newTop, oldTop - newTop);
        }

        _process.Brk = requested;
        return requested;
    }

    private long MmapLocked(uint hint, uint length, int prot, int guestFlags, int guestFd, long offset)
    {
        int flags = LinuxAbi.Translate(guestFlags, _abi.MmapFlags, toHost: true);
        if (length == 0 || (offset & GuestMemory.PageMask) != 0)
        {
            return -(long)Errno.EINVAL;
        }

        ulong size = PageUp(length);
        uint address;
        if ((flags & (MapFixed | MapFixedNoReplace)) != 0)
        {
            if ((hint & GuestMemory.PageMask) != 0 || hint + size > 0x1_0000_0000UL)
            {
                return -(long)Errno.EINVAL;
            }

            if ((flags & MapFixedNoReplace) != 0 && !IsFree(hint, size))
            {
                return -(long)Errno.EEXIST;
            }

            address = hint;
        }
        else if (hint != 0 && (hint & GuestMemory.PageMask) == 0 && hint + size <= GuestProcess.MmapTop && IsFree(hint, size))
        {
            address = hint;
        }
        else if (_process.FindFree(size) is { } free)
        {
            address = free;
        }
        else
        {
            return -(long)Errno.ENOMEM;
        }

        int hostFd = -1;
        if ((flags & MapAnonymous) == 0)
        {
            hostFd = _process.Files.Host((uint)guestFd);
            if (hostFd < 0)
            {
                return -(long)Errno.EBADF;
            }
        }

        if (hostFd >= 0 && MapFile(address, size, guestFd, hostFd, offset))
        {
            _memory.Protect(address, size, Permissions(prot));
            return address;
        }

        _memory.Map(address, size, MemoryPermissions.ReadWrite);
        if (hostFd >= 0)
        {
            // A private copy of the file: shared writable file mappings are not written back.
            nint target = _memory.HostAddress(address, length, MemoryPermissions.Write);
            long read = HostSyscalls.Call(HostSyscalls.Pread64, hostFd, target, length, offset);
            if (read < 0)
            {
                _memory.Unmap(address, size);
                return read;
            }
        }

        _memory.Protect(address, size, Permissions(prot));
        return address;
    }

    /// <summary>
    /// Maps a regular file's pages copy-on-write, as Linux maps a private file mapping, instead of
    /// reading them: the dynamic linker maps whole libraries, of which a run touches a fraction.
    /// Pages past the end of the file are zero. False, with nothing mapped, for other files (pipes,
    /// devices) or where the host cannot: the caller reads them instead.
    /// </summary>
    private bool MapFile(uint address, ulong size, int guestFd, int hostFd, long offset)
    {
        const uint FileType = 0xf000, RegularFile = 0x8000;
        if (HostStatx(guestFd, null, 0, out HostStat stat, new byte[256]) < 0 || (stat.Mode & FileType) != RegularFile || stat.Size <= offset)
        {
            return false;
        }

        ulong inFile = (ulong)(stat.Size - offset);
        ulong filePages = inFile >= size ? size : (inFile + GuestMemory.PageMask) & ~(ulong)GuestMemory.PageMask;
        if (!IsFree(address, size))
        {
            _memory.Unmap(address, size);
        }

        using var file = new SafeFileHandle(hostFd, ownsHandle: false);
        if (!_memory.TryMapFile(address, filePages, file, offset, MemoryPermissions.ReadWrite))
        {
            return false;
        }

        if (filePages < size)
        {
            _memory.Map(address + (uint)filePages, size - filePages, MemoryPermissions.ReadWrite);
        }

        return true;
    }

    private bool IsFree(uint address, ulong size)
    {
        for (ulong page = address; page < address + size; page += GuestMemory.PageSize)
        {
            if (_memory.IsMapped((uint)page))
            {
                return false;
            }
        }

        return true;
    }

    private long MunmapLocked(uint address, uint length)
    {
        if ((address & GuestMemory.PageMask) != 0 || length == 0)
        {
            return -(long)Errno.EINVAL;
        }

        _memory.Unmap(address, PageUp(length));
        return 0;
    }

    private long MprotectLocked(uint address, uint length, int prot)
    {
        if ((address & GuestMemory.PageMask) != 0)
        {
            return -(long)Errno.EINVAL;
        }

        if (length == 0)
        {
            return 0;
        }

        if (!_memory.CanAccess(address, PageUp(length), MemoryPermissions.None) || !IsMapped(address, PageUp(length)))
        {
            return -(long)Errno.ENOMEM;
        }

        _memory.Protect(address, PageUp(length), Permissions(prot));
        return 0;
    }

    private bool IsMapped(uint address, ulong size)
    {
        for (ulong page = address; page < address + size; page += GuestMemory.PageSize)
        {
            if (!_memory.IsMapped((uint)page))
            {
                return false;
            }
        }

        return true;
    }
}
