using System.Runtime.CompilerServices;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Isa.Runtime.Memory;

/// <summary>
/// A guest's 32-bit address space: one 4 GiB window of host address space (plus a guard tail, so
/// an access that starts at the top of the window never reaches past the reservation), with
/// guest page permissions. Interpreters check the permission table; JIT code addresses the window
/// through a segment base and relies on host page protection, which mirrors it.
/// Values are read and written in host (little-endian) order; guests swap through their byte order.
/// </summary>
public sealed unsafe class GuestMemory : IDisposable
{
    public const int PageShift = 12;
    public const uint PageSize = 1u << PageShift;
    public const uint PageMask = PageSize - 1;
    private const ulong WindowSize = 1UL << 32;
    private const ulong GuardSize = 1UL << 16;
    private const int PageCount = 1 << (32 - PageShift);

    // Permission-table bits beyond RWX: 8 = mapped; 16 = holds translated code (watched);
    // 32 = the guest may write it, withheld from the table and the host while watched.
    private const byte Mapped = 8, Watched = 16, WatchedWritable = 32;

    private byte* _window;
    private byte* _permissions;

    public GuestMemory()
    {
        _window = HostVirtualMemory.Reserve(WindowSize + GuardSize);
        _permissions = (byte*)NativeMemory.AllocZeroed(PageCount);
    }

    ~GuestMemory() => Release();

    /// <summary>Host address of guest address 0: the segment base of JIT code.</summary>
    public nint WindowBase => (nint)_window;

    /// <summary>Maps zero-filled pages. The range is rounded out to whole pages.</summary>
    public void Map(uint address, ulong size, MemoryPermissions permissions)
    {
        (uint first, ulong length) = PageRange(address, size);
        Unwatch(first, length);
        HostVirtualMemory.Commit(_window + first, length, writable: true);
        SetPermissions(first, length, permissions);
    }

    /// <summary>
    /// Maps pages with a private copy of a file's bytes from <paramref name="offset"/>, as loaders map
    /// ELF segments: the host maps the file copy-on-write, so nothing is read or copied until a page is
    /// first touched, and writes never reach the file. <paramref name="address"/> and
    /// <paramref name="offset"/> are page-aligned; the part of the last page past the end of the file
    /// reads as zero. The pages must be unmapped. False, leaving them unmapped, where the host cannot
    /// map this file, or when a page would lie wholly past its end (the host would fault on it): the
    /// caller then maps zero pages and copies.
    /// </summary>
    public bool TryMapFile(uint address, ulong size, SafeFileHandle file, long offset, MemoryPermissions permissions)
    {
        ArgumentNullException.ThrowIfNull(file);
        if ((address & PageMask) != 0 || (offset & PageMask) != 0 || offset < 0)
        {
            throw new ArgumentException($"file mapping at 0x{address:x8} from offset 0x{offset:x} is not page-aligned");
        }

        (uint first, ulong length) = PageRange(address, size);
        for (ulong page = first; page < first + length; page += PageSize)
        {
            if (_permissions[page >> PageShift] != 0)
            {
                throw new InvalidOperationException($"cannot map a file over mapped guest page 0x{page:x8}");
            }
        }

        if ((ulong)offset + length - PageSize >= (ulong)RandomAccess.GetLength(file))
        {
            return false;
        }

        if (!HostVirtualMemory.TryMapFile(_window + first, length, file, offset, writable: true))
        {
            // A failed fixed mapping may have left a hole in the window: reserve it again.
            HostVirtualMemory.Decommit(_window + first, length);
            return false;
        }

        SetPermissions(first, length, permissions);
        return true;
    }

    /// <summary>Unmaps pages; later accesses fault.</summary>
    public void Unmap(uint address, ulong size)
    {
        (uint first, ulong length) = PageRange(address, size);
        Unwatch(first, length);
        new Span<byte>(_permissions + (first >> PageShift), (int)(length >> PageShift)).Clear();
        HostAccessRevoking?.Invoke(first, length);
        HostVirtualMemory.Decommit(_window + first, length);
        HostProtectionChanged?.Invoke(first, length);
    }

    /// <summary>Changes the permissions of mapped pages.</summary>
    public void Protect(uint address, ulong size, MemoryPermissions permissions)
    {
        (uint first, ulong length) = PageRange(address, size);
        for (ulong page = first; page < first + length; page += PageSize)
        {
            if (_permissions[page >> PageShift] == 0)
            {
                throw new InvalidOperationException($"cannot protect unmapped guest page 0x{page:x8}");
            }
        }

        Unwatch(first, length);

        SetPermissions(first, length, permissions);
    }

    public MemoryPermissions PermissionsAt(uint address) => Effective(_permissions[address >> PageShift]);

    /// <summary>
    /// Called with a page's address before translated code on it may change: the first write to a
    /// watched page (from any path: interpreter, syscalls, a JIT store that faulted), or a change of
    /// its mapping or permissions. Execution hosts drop their translations of the page.
    /// </summary>
    public event Action<uint>? CodeModified;

    /// <summary>
    /// Marks the page holding <paramref name="address"/> as holding translated code: while watched it
    /// is read-only for the host, so JIT stores fault, and every other write path reports it first.
    /// </summary>
    public void WatchCode(uint address)
    {
        ref byte p = ref _permissions[address >> PageShift];
        if ((p & Watched) != 0 || p == 0)
        {
            return;
        }

        if ((p & (byte)MemoryPermissions.Write) != 0)
        {
            p = (byte)((p & ~(byte)MemoryPermissions.Write) | Watched | WatchedWritable);
            ProtectHost(address & ~PageMask, PageSize, p);
        }
        else
        {
            p |= Watched;
        }
    }

    private static MemoryPermissions Effective(byte p) =>
        (MemoryPermissions)((p & 7) | ((p & WatchedWritable) != 0 ? (byte)MemoryPermissions.Write : 0));

    private void Unwatch(uint first, ulong length)
    {
        for (ulong page = first; page < first + length; page += PageSize)
        {
            Unwatch((uint)page);
        }
    }

    private void Unwatch(uint address)
    {
        ref byte p = ref _permissions[address >> PageShift];
        if ((p & Watched) == 0)
        {
            return;
        }

        bool writable = (p & WatchedWritable) != 0;
        p = (byte)((p & ~(Watched | WatchedWritable)) | (writable ? (byte)MemoryPermissions.Write : 0));
        if (writable)
        {
            ProtectHost(address & ~PageMask, PageSize, p);
        }

        CodeModified?.Invoke(address & ~PageMask);
    }

    public bool IsMapped(uint address) => _permissions[address >> PageShift] != 0;

    /// <summary>True if every byte of the range is mapped with all of <paramref name="access"/>.</summary>
    public bool CanAccess(uint address, ulong size, MemoryPermissions access)
    {
        if (size == 0)
        {
            return true;
        }

        ulong last = address + size - 1;
        if (last >= WindowSize)
        {
            return false;
        }

        for (ulong page = address >> PageShift; page <= last >> PageShift; page++)
        {
            if (((byte)Effective(_permissions[page]) & (byte)access) != (byte)access)
            {
                return false;
            }
        }

        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public byte Read8(uint address)
    {
        if ((_permissions[address >> PageShift] & (byte)MemoryPermissions.Read) == 0)
        {
            ThrowFault(address, MemoryPermissions.Read);
        }

        return _window[address];
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ushort Read16(uint address) => Fits(address, 2, MemoryPermissions.Read)
        ? Unsafe.ReadUnaligned<ushort>(_window + address)
        : (ushort)AccessSlow(address, 2, MemoryPermissions.Read, 0);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public uint Read32(uint address) => Fits(address, 4, MemoryPermissions.Read)
        ? Unsafe.ReadUnaligned<uint>(_window + address)
        : (uint)AccessSlow(address, 4, MemoryPermissions.Read, 0);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ulong Read64(uint address) => Fits(address, 8, MemoryPermissions.Read)
        ? Unsafe.ReadUnaligned<ulong>(_window + address)
        : AccessSlow(address, 8, MemoryPermissions.Read, 0);

    /// <summary>Reads an instruction word: the page must be executable.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public uint Fetch32(uint address) => Fits(address, 4, MemoryPermissions.Execute)
        ? Unsafe.ReadUnaligned<uint>(_window + address)
        : (uint)AccessSlow(address, 4, MemoryPermissions.Execute, 0);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Write8(uint address, byte value)
    {
        if ((_permissions[address >> PageShift] & (byte)MemoryPermissions.Write) == 0)
        {
            AccessSlow(address, 1, MemoryPermissions.Write, value);
            return;
        }

        _window[address] = value;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Write16(uint address, ushort value)
    {
        if (Fits(address, 2, MemoryPermissions.Write))
        {
            Unsafe.WriteUnaligned(_window + address, value);
        }
        else
        {
            AccessSlow(address, 2, MemoryPermissions.Write, value);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Write32(uint address, uint value)
    {
        if (Fits(address, 4, MemoryPermissions.Write))
        {
            Unsafe.WriteUnaligned(_window + address, value);
        }
        else
        {
            AccessSlow(address, 4, MemoryPermissions.Write, value);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Write64(uint address, ulong value)
    {
        if (Fits(address, 8, MemoryPermissions.Write))
        {
            Unsafe.WriteUnaligned(_window + address, value);
        }
        else
        {
            AccessSlow(address, 8, MemoryPermissions.Write, value);
        }
    }

    /// <summary>
    /// Atomically replaces the 32-bit word at <paramref name="address"/> (host order) with
    /// <paramref name="value"/> if it still holds <paramref name="expected"/>: the guest's
    /// ll/sc and atomics across host threads. The word must be readable and writable.
    /// </summary>
    public bool CompareExchange32(uint address, uint expected, uint value)
    {
        if (!Fits(address, 4, MemoryPermissions.Write) || (_permissions[address >> PageShift] & (byte)MemoryPermissions.Read) == 0)
        {
            // Straddling or not plainly accessible: fault exactly where a read or write would.
            RequireAccess(address, 4, MemoryPermissions.Read);
            RequireAccess(address, 4, MemoryPermissions.Write);
        }

        return Interlocked.CompareExchange(ref Unsafe.AsRef<uint>(_window + address), value, expected) == expected;
    }

    /// <summary>Copies guest memory out, checking guest read permission.</summary>
    public void Read(uint address, Span<byte> destination)
    {
        RequireAccess(address, (ulong)destination.Length, MemoryPermissions.Read);
        new ReadOnlySpan<byte>(_window + address, destination.Length).CopyTo(destination);
    }

    /// <summary>Copies into guest memory, checking guest write permission.</summary>
    public void Write(uint address, ReadOnlySpan<byte> source)
    {
        RequireAccess(address, (ulong)source.Length, MemoryPermissions.Write);
        source.CopyTo(new Span<byte>(_window + address, source.Length));
    }

    /// <summary>
    /// Writes into mapped pages whatever their guest permissions (loaders filling read-only text,
    /// debuggers setting breakpoints).
    /// </summary>
    public void Poke(uint address, ReadOnlySpan<byte> source)
    {
        RequireAccess(address, (ulong)source.Length, MemoryPermissions.None);
        (uint firstPage, ulong pagesLength) = PageRange(address, (ulong)source.Length);
        Unwatch(firstPage, pagesLength);
        if (CanAccess(address, (ulong)source.Length, MemoryPermissions.Write))
        {
            source.CopyTo(new Span<byte>(_window + address, source.Length));
            return;
        }

        // Host protection mirrors the guest's: lift it page by page for the copy.
        (uint first, ulong length) = PageRange(address, (ulong)source.Length);
        HostVirtualMemory.Protect(_window + first, length, readable: true, writable: true);
        source.CopyTo(new Span<byte>(_window + address, source.Length));
        for (ulong page = first; page < first + length; page += PageSize)
        {
            SetPermissions((uint)page, PageSize, PermissionsAt((uint)page));
        }
    }

    /// <summary>Reads mapped pages whatever their guest permissions (debuggers, fork snapshots).</summary>
    public void Peek(uint address, Span<byte> destination)
    {
        RequireAccess(address, (ulong)destination.Length, MemoryPermissions.None);
        if (destination.Length == 0 || HostReadable(address, (ulong)destination.Length))
        {
            new ReadOnlySpan<byte>(_window + address, destination.Length).CopyTo(destination);
            return;
        }

        // PROT_NONE pages are inaccessible on the host too: lift that for the copy.
        (uint first, ulong length) = PageRange(address, (ulong)destination.Length);
        HostVirtualMemory.Protect(_window + first, length, readable: true, writable: false);
        new ReadOnlySpan<byte>(_window + address, destination.Length).CopyTo(destination);
        for (ulong page = first; page < first + length; page += PageSize)
        {
            SetPermissions((uint)page, PageSize, PermissionsAt((uint)page));
        }
    }

    private bool HostReadable(uint address, ulong size)
    {
        for (ulong page = address >> PageShift; page <= (address + size - 1) >> PageShift; page++)
        {
            if ((_permissions[page] & (byte)MemoryPermissions.All) == 0)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// The host address of a guest range after checking the guest may access all of it, for
    /// syscalls that let the host kernel read or write guest buffers in place.
    /// </summary>
    public nint HostAddress(uint address, ulong size, MemoryPermissions access)
    {
        RequireAccess(address, size, access);
        return (nint)(_window + address);
    }

    /// <summary>Reads a NUL-terminated byte string of at most <paramref name="maxLength"/> bytes (without the NUL).</summary>
    public byte[] ReadCString(uint address, int maxLength = 4096)
    {
        var bytes = new List<byte>();
        for (uint a = address; bytes.Count < maxLength; a++)
        {
            byte b = Read8(a);
            if (b == 0)
            {
                return bytes.ToArray();
            }

            bytes.Add(b);
        }

        throw new GuestFaultException(address, MemoryPermissions.Read);
    }

    public void Dispose()
    {
        Release();
        GC.SuppressFinalize(this);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool Fits(uint address, uint size, MemoryPermissions access)
        => (address & PageMask) <= PageSize - size && (_permissions[address >> PageShift] & (byte)access) != 0;

    /// <summary>An access that straddles two pages (or wraps at 4 GiB): byte by byte, little-endian.</summary>
    private ulong AccessSlow(uint address, int size, MemoryPermissions access, ulong value)
    {
        for (int i = 0; i < size; i++)
        {
            uint a = unchecked(address + (uint)i);
            if ((_permissions[a >> PageShift] & (byte)access) == 0)
            {
                if (access != MemoryPermissions.Write || (_permissions[a >> PageShift] & WatchedWritable) == 0)
                {
                    ThrowFault(a, access);
                }

                Unwatch(a);
            }
        }

        ulong result = 0;
        for (int i = 0; i < size; i++)
        {
            uint a = unchecked(address + (uint)i);
            if (access == MemoryPermissions.Write)
            {
                _window[a] = (byte)(value >> (8 * i));
            }
            else
            {
                result |= (ulong)_window[a] << (8 * i);
            }
        }

        return result;
    }

    private void RequireAccess(uint address, ulong size, MemoryPermissions access)
    {
        if (size == 0)
        {
            return;
        }

        ulong last = address + size - 1;
        for (ulong page = address >> PageShift; page <= last >> PageShift; page++)
        {
            byte p = page < PageCount ? _permissions[page] : (byte)0;
            if ((p & WatchedWritable) != 0 && (access & MemoryPermissions.Write) != 0)
            {
                Unwatch((uint)(page << PageShift));
                p = _permissions[page];
            }

            if (p == 0 || (p & (byte)access) != (byte)access)
            {
                uint at = page == address >> PageShift ? address : (uint)(page << PageShift);
                ThrowFault(at, access == MemoryPermissions.None ? MemoryPermissions.Read : access);
            }
        }
    }

    private void SetPermissions(uint first, ulong length, MemoryPermissions permissions)
    {
        // Mapped marks a mapped page even when the guest may not touch it (PROT_NONE).
        byte value = (byte)((byte)permissions | Mapped);
        new Span<byte>(_permissions + (first >> PageShift), (int)(length >> PageShift)).Fill(value);
        ProtectHost(first, length, value);
    }

    /// <summary>
    /// Raised after the host protection of pages changed (first address, length): execution hosts
    /// that mirror it in page tables of their own (vCPU hosts) follow it.
    /// </summary>
    public event Action<uint, ulong>? HostProtectionChanged;

    /// <summary>
    /// Raised before the host protection of pages changes (the guest permissions already say what it will be):
    /// hosts that mirror it drop the access pages lose first, so nothing of theirs still reaches host memory
    /// as it is decommitted or protected. <see cref="HostProtectionChanged"/> follows.
    /// </summary>
    public event Action<uint, ulong>? HostAccessRevoking;

    /// <summary>The host protection of the page holding <paramref name="address"/>, as <see cref="HostProtectionChanged"/> reports changes of it.</summary>
    public (bool Readable, bool Writable) HostProtection(uint address) => HostAccess(_permissions[address >> PageShift]);

    private static (bool Readable, bool Writable) HostAccess(byte bits) =>
        ((bits & (byte)(MemoryPermissions.Read | MemoryPermissions.Execute)) != 0, (bits & (byte)MemoryPermissions.Write) != 0);

    /// <summary>Host protection as the table bits say: readable if the guest may read or execute, writable if it may write now.</summary>
    private void ProtectHost(uint first, ulong length, byte bits)
    {
        (bool readable, bool writable) = HostAccess(bits);
        HostAccessRevoking?.Invoke(first, length);
        HostVirtualMemory.Protect(_window + first, length, readable, writable);
        HostProtectionChanged?.Invoke(first, length);
    }

    private static (uint First, ulong Length) PageRange(uint address, ulong size)
    {
        ulong first = address & ~(ulong)PageMask;
        ulong end = (address + size + PageMask) & ~(ulong)PageMask;
        if (size == 0 || end > WindowSize)
        {
            throw new ArgumentOutOfRangeException(nameof(size), $"range 0x{address:x8}+0x{size:x} is empty or leaves the 4 GiB guest window");
        }

        return ((uint)first, end - first);
    }

    [DoesNotReturn]
    private static void ThrowFault(uint address, MemoryPermissions access) => throw new GuestFaultException(address, access);

    private void Release()
    {
        if (_window != null)
        {
            HostVirtualMemory.Release(_window, WindowSize + GuardSize);
            NativeMemory.Free(_permissions);
            _window = null;
            _permissions = null;
        }
    }
}
