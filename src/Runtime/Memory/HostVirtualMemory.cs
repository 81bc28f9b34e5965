using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Isa.Runtime.Memory;

/// <summary>
/// Reserves, commits and protects host address space (mmap/mprotect on Unix, VirtualAlloc on
/// Windows). The only place that calls the host's virtual-memory API.
/// </summary>
internal static unsafe partial class HostVirtualMemory
{
    private const int ProtNone = 0, ProtRead = 1, ProtWrite = 2;
    private const int MapPrivate = 0x02, MapFixed = 0x10, MapAnonymous = 0x20, MapNoReserve = 0x4000;
    private const uint MemCommit = 0x1000, MemReserve = 0x2000, MemDecommit = 0x4000, MemRelease = 0x8000;
    private const uint PageNoAccess = 0x01, PageReadOnly = 0x02, PageReadWrite = 0x04;

    /// <summary>Reserves <paramref name="size"/> bytes of inaccessible address space.</summary>
    public static byte* Reserve(ulong size)
    {
        if (OperatingSystem.IsWindows())
        {
            void* p = VirtualAlloc(null, (nuint)size, MemReserve, PageNoAccess);
            return p != null ? (byte*)p : throw new OutOfMemoryException($"cannot reserve {size} bytes of address space");
        }

        void* m = mmap(null, (nuint)size, ProtNone, MapPrivate | MapAnonymous | MapNoReserve, -1, 0);
        return m != (void*)-1 ? (byte*)m : throw new OutOfMemoryException($"cannot reserve {size} bytes of address space (errno {Marshal.GetLastPInvokeError()})");
    }

    public static void Release(byte* address, ulong size)
    {
        if (OperatingSystem.IsWindows())
        {
            VirtualFree(address, 0, MemRelease);
        }
        else
        {
            munmap(address, (nuint)size);
        }
    }

    /// <summary>Makes a reserved range accessible with fresh zero pages.</summary>
    public static void Commit(byte* address, ulong size, bool writable)
    {
        if (OperatingSystem.IsWindows())
        {
            Check(VirtualAlloc(address, (nuint)size, MemCommit, PageReadWrite) != null, "commit");
            Protect(address, size, readable: true, writable);
            return;
        }

        int prot = ProtRead | (writable ? ProtWrite : 0);
        Check(mmap(address, (nuint)size, prot, MapPrivate | MapAnonymous | MapNoReserve | MapFixed, -1, 0) == address, "mmap");
    }

    /// <summary>
    /// Maps <paramref name="size"/> bytes of a file from offset 0, read-only and private, anywhere in the
    /// host's address space; null where the host cannot map files (Windows here) or this file (a pipe, a
    /// device). Pages come from the page cache as they are first touched: nothing is read or copied up front.
    /// </summary>
    public static byte* MapFileReadOnly(SafeFileHandle file, ulong size)
    {
        if (OperatingSystem.IsWindows())
        {
            return null;
        }

        void* m = MapFile(null, size, ProtRead, MapPrivate, file, 0);
        return m != (void*)-1 ? (byte*)m : null;
    }

    /// <summary>
    /// Replaces a reserved range with a private (copy-on-write) mapping of the file's pages from
    /// <paramref name="offset"/> (page-aligned): reads see the file, writes stay in this process.
    /// False where the host cannot (the caller commits zero pages and copies instead).
    /// </summary>
    public static bool TryMapFile(byte* address, ulong size, SafeFileHandle file, long offset, bool writable)
    {
        if (OperatingSystem.IsWindows())
        {
            return false;
        }

        int prot = ProtRead | (writable ? ProtWrite : 0);
        return MapFile(address, size, prot, MapPrivate | MapFixed, file, offset) == address;
    }

    /// <summary>mmap of <paramref name="file"/>, which stays open meanwhile: (void*)-1 on failure.</summary>
    private static void* MapFile(void* address, ulong size, int prot, int flags, SafeFileHandle file, long offset)
    {
        bool added = false;
        try
        {
            file.DangerousAddRef(ref added);
            return mmap(address, (nuint)size, prot, flags, (int)file.DangerousGetHandle(), (nint)offset);
        }
        finally
        {
            if (added)
            {
                file.DangerousRelease();
            }
        }
    }

    /// <summary>Returns a range to the reserved, inaccessible state and drops its contents.</summary>
    public static void Decommit(byte* address, ulong size)
    {
        if (OperatingSystem.IsWindows())
        {
            Check(VirtualFree(address, (nuint)size, MemDecommit), "decommit");
            return;
        }

        Check(mmap(address, (nuint)size, ProtNone, MapPrivate | MapAnonymous | MapNoReserve | MapFixed, -1, 0) == address, "mmap");
    }

    public static void Protect(byte* address, ulong size, bool readable, bool writable)
    {
        if (OperatingSystem.IsWindows())
        {
            uint protect = writable ? PageReadWrite : readable ? PageReadOnly : PageNoAccess;
            Check(VirtualProtect(address, (nuint)size, protect, out _), "VirtualProtect");
            return;
        }

        int prot = (readable ? ProtRead : 0) | (writable ? ProtRead | ProtWrite : 0);
        Check(mprotect(address, (nuint)size, prot) == 0, "mprotect");
    }

    private static void Check(bool ok, string what)
    {
        if (!ok)
        {
            throw new InvalidOperationException($"host {what} failed (error {Marshal.GetLastPInvokeError()})");
        }
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial void* mmap(void* addr, nuint length, int prot, int flags, int fd, nint offset);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int munmap(void* addr, nuint length);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int mprotect(void* addr, nuint length, int prot);

    [LibraryImport("kernel32", SetLastError = true)]
    private static partial void* VirtualAlloc(void* address, nuint size, uint allocationType, uint protect);

    [LibraryImport("kernel32", SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    private static partial bool VirtualFree(void* address, nuint size, uint freeType);

    [LibraryImport("kernel32", SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    private static partial bool VirtualProtect(void* address, nuint size, uint newProtect, out uint oldProtect);
}
