using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Isa.Backends.Host;

/// <summary>
/// W^X code memory: a Linux memfd mapped twice, an RX view (executed) and an RW view (written), so
/// no page is ever writable and executable at once. Pages cost nothing until written (the memfd is
/// sparse). Bump allocation, safe from several threads; <see cref="Reset"/> drops everything.
/// Owners of longer-lived code take a chunk instead (<see cref="TryAllocateChunk"/>): a range they
/// manage themselves and give back (<see cref="FreeChunk"/>) for the next owner to reuse.
/// </summary>
/// <remarks>
/// x86 keeps instruction fetch coherent with stores by physical address, so bytes written through
/// the RW view execute at once at the RX address on the writing thread. A 2-, 4- or 8-byte
/// <see cref="Write"/> is one store: patching a jump's rel32 that stays inside one cache line is
/// atomic for threads running the code.
/// </remarks>
public sealed unsafe class ExecutableMemory : IDisposable
{
    private const long PageSize = 4096;
    private const long MaxCapacity = 1L << 40;
    private const long LargePageSize = 2L << 20;

    private readonly long _capacity;
    private readonly bool _shared;
    private int _fd = -1;
    private byte* _rx;
    private byte* _rw;
    private readonly Lock _chunkLock = new();
    private readonly List<(long Offset, long Size)> _freeChunks = []; // sorted by offset, never adjacent
    private long _used;
    private bool _populateUnsupported; // a kernel before 5.14: pages fault in one by one as before

    /// <param name="capacity">Bytes of code space, rounded up to whole pages; only address space until used.</param>
    public ExecutableMemory(long capacity)
        : this(capacity, shared: false)
    {
    }

    internal ExecutableMemory(long capacity, bool shared)
    {
        LinuxNative.RequireSupported("W^X executable memory (memfd mapped twice)");
        if (capacity <= 0 || capacity > MaxCapacity)
        {
            throw new ArgumentOutOfRangeException(nameof(capacity), capacity, $"code memory capacity must be in (0, {MaxCapacity}] bytes");
        }

        _capacity = (capacity + PageSize - 1) & ~(PageSize - 1);
        _shared = shared;
        _fd = LinuxNative.memfd_create("isa-jit-code", LinuxNative.MfdCloexec);
        if (_fd < 0)
        {
            throw LinuxNative.Failure("memfd_create");
        }

        try
        {
            if (LinuxNative.ftruncate(_fd, _capacity) != 0)
            {
                throw LinuxNative.Failure("ftruncate of the code memfd");
            }

            _rx = Map(LinuxNative.ProtRead | LinuxNative.ProtExec);
            _rw = Map(LinuxNative.ProtRead | LinuxNative.ProtWrite);
        }
        catch
        {
            Release();
            throw;
        }
    }

    ~ExecutableMemory() => Release();

    /// <summary>Start of the RX view: the addresses code runs at.</summary>
    public nint Start => (nint)Live(_rx);

    /// <summary>End of the RX view (<see cref="Start"/> + capacity).</summary>
    public nint End => (nint)Live(_rx) + (nint)_capacity;

    public long Capacity => _capacity;

    public long Used => Volatile.Read(ref _used);

    /// <summary>Reserves <paramref name="size"/> bytes and returns their RX address.</summary>
    /// <exception cref="ExecutableMemoryFullException">The memory is full; <see cref="Reset"/> it.</exception>
    public nint Allocate(int size, int alignment = 16)
        => TryAllocate(size, out nint address, alignment)
            ? address
            : throw new ExecutableMemoryFullException(size, Used, _capacity);

    /// <summary>As <see cref="Allocate"/>, but returns false instead of throwing when full.</summary>
    public bool TryAllocate(int size, out nint address, int alignment = 16)
    {
        if (size <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(size), size, "allocation size must be positive");
        }

        if (alignment <= 0 || alignment > PageSize || (alignment & (alignment - 1)) != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(alignment), alignment, $"alignment must be a power of two up to {PageSize}");
        }

        byte* rx = Live(_rx);
        bool done = TryBump(size, alignment, out long offset, out _);
        address = done ? (nint)(rx + offset) : 0;
        return done;
    }

    /// <summary>Takes <paramref name="size"/> bytes off the top; <paramref name="gap"/> is what alignment skipped below them.</summary>
    private bool TryBump(long size, long alignment, out long offset, out long gap)
    {
        while (true)
        {
            long used = Volatile.Read(ref _used);
            long start = (((long)_rx + used + alignment - 1) & ~(alignment - 1)) - (long)_rx;
            if (start + size > _capacity)
            {
                (offset, gap) = (0, 0);
                return false;
            }

            if (Interlocked.CompareExchange(ref _used, start + size, used) == used)
            {
                (offset, gap) = (start, start - used);
                return true;
            }
        }
    }

    /// <summary>
    /// Reserves a page-aligned range of <paramref name="size"/> bytes (rounded up to whole pages;
    /// aligned to 2 MiB when a multiple of it, so a vCPU can map it with large pages): a freed one
    /// where one fits, else fresh space. False when neither has room.
    /// </summary>
    public bool TryAllocateChunk(long size, out nint start)
    {
        if (size <= 0 || size > _capacity)
        {
            throw new ArgumentOutOfRangeException(nameof(size), size, $"a chunk must be in (0, {_capacity}] bytes");
        }

        size = (size + PageSize - 1) & ~(PageSize - 1);
        long alignment = size % LargePageSize == 0 ? LargePageSize : PageSize;
        byte* rx = Live(_rx);
        lock (_chunkLock)
        {
            for (int i = 0; i < _freeChunks.Count; i++)
            {
                (long offset, long free) = _freeChunks[i];
                long at = (((long)rx + offset + alignment - 1) & ~(alignment - 1)) - (long)rx;
                if (at + size > offset + free)
                {
                    continue;
                }

                _freeChunks.RemoveAt(i);
                if (at + size < offset + free)
                {
                    _freeChunks.Insert(i, (at + size, offset + free - (at + size)));
                }

                if (at > offset)
                {
                    _freeChunks.Insert(i, (offset, at - offset));
                }

                start = (nint)(rx + at);
                return true;
            }

            if (!TryBump(size, alignment, out long top, out long gap))
            {
                start = 0;
                return false;
            }

            if (gap > 0)
            {
                AddFree(top - gap, gap); // what alignment skipped serves a smaller chunk
            }

            start = (nint)(rx + top);
            return true;
        }
    }

    /// <summary>
    /// Gives back a chunk from <see cref="TryAllocateChunk"/>: its pages return to the host and the
    /// range serves a later chunk. No thread may still run code from it.
    /// </summary>
    public void FreeChunk(nint start, long size)
    {
        size = (size + PageSize - 1) & ~(PageSize - 1);
        long offset = Offset(start, size);
        Discard(start, size);
        lock (_chunkLock)
        {
            if (offset + size > Volatile.Read(ref _used))
            {
                throw new InvalidOperationException($"code memory range +0x{offset:x}..+0x{offset + size:x} is not an allocated chunk");
            }

            AddFree(offset, size);

            // Free space at the top goes back to the bump allocator, so Used shrinks again.
            if (_freeChunks.Count > 0 && _freeChunks[^1] is var (lastOffset, lastSize) && lastOffset + lastSize == Volatile.Read(ref _used)
                && Interlocked.CompareExchange(ref _used, lastOffset, lastOffset + lastSize) == lastOffset + lastSize)
            {
                _freeChunks.RemoveAt(_freeChunks.Count - 1);
            }
        }
    }

    /// <summary>
    /// Returns the pages of a page-aligned range to the host (they read as zeros, as never-written
    /// pages do). No thread may still run code from it.
    /// </summary>
    public void Discard(nint start, long size)
    {
        long offset = Offset(start, size);
        if ((offset | size) % PageSize != 0)
        {
            throw new ArgumentException($"0x{start:x}+{size} is not a whole number of pages");
        }

        if (size > 0 && LinuxNative.fallocate(_fd, LinuxNative.FallocPunchHole | LinuxNative.FallocKeepSize, offset, size) != 0)
        {
            throw LinuxNative.Failure("fallocate (punch hole) of the code memfd");
        }
    }

    /// <summary>
    /// Maps the pages of a page-aligned range into both views ahead of use (MADV_POPULATE_WRITE on
    /// the writable view, MADV_POPULATE_READ on the executable one): two system calls for many pages
    /// instead of a write fault and an execute fault per page. Only a hint: a kernel without it
    /// leaves the pages to fault in.
    /// </summary>
    public void Populate(nint start, long size)
    {
        long offset = Offset(start, size);
        if ((offset | size) % PageSize != 0)
        {
            throw new ArgumentException($"0x{start:x}+{size} is not a whole number of pages");
        }

        if (size == 0 || Volatile.Read(ref _populateUnsupported))
        {
            return;
        }

        if (LinuxNative.madvise(_rw + offset, (nuint)size, LinuxNative.MadvPopulateWrite) != 0
            || LinuxNative.madvise(Live(_rx) + offset, (nuint)size, LinuxNative.MadvPopulateRead) != 0)
        {
            Volatile.Write(ref _populateUnsupported, true);
        }
    }

    /// <summary>Bytes in freed chunks waiting for reuse (below <see cref="Used"/>).</summary>
    public long FreeChunkBytes
    {
        get
        {
            lock (_chunkLock)
            {
                long total = 0;
                foreach ((_, long size) in _freeChunks)
                {
                    total += size;
                }

                return total;
            }
        }
    }

    /// <summary>Writes code bytes at an RX address, through the RW view.</summary>
    public void Write(nint rxAddress, ReadOnlySpan<byte> bytes)
    {
        byte* target = WritablePointer(rxAddress, bytes.Length);
        switch (bytes.Length)
        {
            // Single stores, so a patched displacement never shows half-written to a running thread.
            case 2:
                Unsafe.WriteUnaligned(target, MemoryMarshal.Read<ushort>(bytes));
                break;
            case 4:
                Unsafe.WriteUnaligned(target, MemoryMarshal.Read<uint>(bytes));
                break;
            case 8:
                Unsafe.WriteUnaligned(target, MemoryMarshal.Read<ulong>(bytes));
                break;
            default:
                bytes.CopyTo(new Span<byte>(target, bytes.Length));
                break;
        }
    }

    /// <summary>
    /// The RW view of <paramref name="length"/> bytes at an RX address, for an assembler to write
    /// into directly. Never executable; do not keep it past a <see cref="Reset"/>.
    /// </summary>
    public Span<byte> WritableSpan(nint rxAddress, int length) => new(WritablePointer(rxAddress, length), length);

    /// <summary>True if <paramref name="address"/> lies in the RX view.</summary>
    public bool Contains(nint address) => address >= Start && address < End;

    /// <summary>
    /// Drops all code and chunks: the next allocation starts at <see cref="Start"/> again and the
    /// pages go back to the host. No thread may still be running code from this memory.
    /// </summary>
    public void Reset()
    {
        Discard(Start, _capacity);
        lock (_chunkLock)
        {
            _freeChunks.Clear();
            Volatile.Write(ref _used, 0);
        }
    }

    public void Dispose()
    {
        if (_shared)
        {
            throw new InvalidOperationException("the process-wide JIT code memory (JitCode.Shared) lives as long as the process");
        }

        Release();
        GC.SuppressFinalize(this);
    }

    /// <summary>Adds a range to the free list, merged with free neighbours.</summary>
    private void AddFree(long offset, long size)
    {
        int i = 0;
        while (i < _freeChunks.Count && _freeChunks[i].Offset < offset)
        {
            i++;
        }

        if (i > 0 && _freeChunks[i - 1].Offset + _freeChunks[i - 1].Size > offset
            || i < _freeChunks.Count && offset + size > _freeChunks[i].Offset)
        {
            throw new InvalidOperationException($"code memory range +0x{offset:x}..+0x{offset + size:x} is freed twice");
        }

        if (i < _freeChunks.Count && offset + size == _freeChunks[i].Offset)
        {
            size += _freeChunks[i].Size;
            _freeChunks.RemoveAt(i);
        }

        if (i > 0 && _freeChunks[i - 1].Offset + _freeChunks[i - 1].Size == offset)
        {
            i--;
            offset = _freeChunks[i].Offset;
            size += _freeChunks[i].Size;
            _freeChunks.RemoveAt(i);
        }

        _freeChunks.Insert(i, (offset, size));
    }

    private long Offset(nint start, long size)
    {
        long offset = (long)start - (long)Live(_rx);
        return size >= 0 && offset >= 0 && offset <= _capacity - size
            ? offset
            : throw new ArgumentOutOfRangeException(nameof(start), $"0x{start:x}+{size} is outside the code memory");
    }

    private byte* WritablePointer(nint rxAddress, int length)
    {
        byte* rx = Live(_rx);
        long offset = (long)rxAddress - (long)rx;
        if (length < 0 || offset < 0 || offset > _capacity - length)
        {
            throw new ArgumentOutOfRangeException(
                nameof(rxAddress), $"0x{rxAddress:x}+{length} is outside the code memory [0x{(nint)rx:x}, 0x{(nint)rx + (nint)_capacity:x})");
        }

        return _rw + offset;
    }

    private byte* Map(int protection)
    {
        void* view = LinuxNative.mmap(null, (nuint)_capacity, protection, LinuxNative.MapShared | LinuxNative.MapNoReserve, _fd, 0);
        return view != (void*)-1 ? (byte*)view : throw LinuxNative.Failure($"mmap of a {_capacity}-byte code view");
    }

    private static byte* Live(byte* view) => view != null ? view : throw new ObjectDisposedException(nameof(ExecutableMemory));

    private void Release()
    {
        if (_rx != null)
        {
            // A fault at a stale address must never be taken for one in JIT code.
            JitFaultHandler.Remove((nint)_rx, (nint)_rx + (nint)_capacity);
            LinuxNative.munmap(_rx, (nuint)_capacity);
            _rx = null;
        }

        if (_rw != null)
        {
            LinuxNative.munmap(_rw, (nuint)_capacity);
            _rw = null;
        }

        if (_fd >= 0)
        {
            LinuxNative.close(_fd);
            _fd = -1;
        }
    }
}
