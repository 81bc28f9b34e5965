namespace Isa.Backends.Host;

/// <summary>
/// One owner's code space: a chunk of an <see cref="ExecutableMemory"/> (the process-wide
/// <see cref="JitCode.Shared"/> for a JIT engine), bump-allocated, emptied by <see cref="Reset"/>
/// when full and given back on <see cref="Dispose"/>, so the chunk serves the next owner. Not
/// thread-safe: its owner serializes the calls.
/// </summary>
public sealed class CodeSpace : IDisposable
{
    private const long PageSize = 4096;

    // Pages are mapped this far ahead of the allocation pointer, a chunk at a time (see ExecutableMemory.Populate).
    private const long PopulateBytes = 64 << 10;

    private readonly ExecutableMemory _memory;
    private nint _start;
    private long _used;
    private long _kept;
    private long _populated; // pages below this offset are mapped already

    /// <exception cref="ExecutableMemoryFullException">The memory has no free chunk of that size.</exception>
    public CodeSpace(ExecutableMemory memory, long capacity)
    {
        if (capacity < 2 * PageSize)
        {
            throw new ArgumentOutOfRangeException(nameof(capacity), capacity, $"a code space needs at least {2 * PageSize} bytes");
        }

        _memory = memory;
        Capacity = (capacity + PageSize - 1) & ~(PageSize - 1);
        if (!memory.TryAllocateChunk(Capacity, out _start))
        {
            throw new ExecutableMemoryFullException(
                $"no room for a {Capacity >> 10} KiB code space: {memory.Used >> 20} of {memory.Capacity >> 20} MiB of JIT code memory are taken by other code spaces (dispose the engines no longer used, or ask for less)");
        }
    }

    ~CodeSpace() => Release();

    public nint Start => Live();

    public nint End => Live() + (nint)Capacity;

    public long Capacity { get; }

    /// <summary>Bytes allocated, the kept ones included.</summary>
    public long Used => _used;

    /// <summary>Bytes that survive a <see cref="Reset"/> (see <see cref="KeepAllocated"/>).</summary>
    public long Kept => _kept;

    public ExecutableMemory Memory => _memory;

    /// <summary>Reserves <paramref name="size"/> bytes; false when the space is full (<see cref="Reset"/> it).</summary>
    public bool TryAllocate(int size, out nint address, int alignment = 16)
    {
        if (size <= 0 || alignment <= 0 || alignment > PageSize || (alignment & (alignment - 1)) != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(size), $"allocation of {size} bytes aligned to {alignment}");
        }

        nint start = Live();
        long at = (_used + alignment - 1) & ~(long)(alignment - 1);
        if (at + size > Capacity)
        {
            address = 0;
            return false;
        }

        _used = at + size;
        address = start + (nint)at;
        if (_used > _populated)
        {
            long from = _populated & ~(PageSize - 1), to = Math.Min(Capacity, (_used + PopulateBytes + PageSize - 1) & ~(PageSize - 1));
            _memory.Populate(start + (nint)from, to - from);
            _populated = to;
        }

        return true;
    }

    /// <summary>The address the next allocation with this alignment would get (it may not fit).</summary>
    public nint Next(int alignment = 16) => Live() + (nint)((_used + alignment - 1) & ~(long)(alignment - 1));

    /// <summary>
    /// Everything allocated so far (code every later allocation relies on, such as runtime stubs)
    /// survives <see cref="Reset"/>; kept up to a page boundary, as pages are what a reset discards.
    /// </summary>
    public void KeepAllocated()
    {
        _used = Math.Min(Capacity, (_used + PageSize - 1) & ~(PageSize - 1));
        _kept = _used;
    }

    /// <summary>
    /// Drops everything allocated after the kept part; its pages go back to the host. No thread may
    /// still run code from there, nor jump there through anything written before.
    /// </summary>
    public void Reset()
    {
        nint start = Live();
        _memory.Discard(start + (nint)_kept, Capacity - _kept);
        _used = _kept;
        _populated = _kept;
    }

    public bool Contains(nint address) => address >= Start && address < End;

    public void Write(nint address, ReadOnlySpan<byte> bytes)
    {
        Check(address, bytes.Length);
        _memory.Write(address, bytes);
    }

    /// <summary>The writable view of <paramref name="length"/> allocated bytes at <paramref name="address"/>, to write code into in place.</summary>
    public Span<byte> WritableSpan(nint address, int length)
    {
        Check(address, length);
        return _memory.WritableSpan(address, length);
    }

    /// <summary>Gives the chunk back to the memory. No thread may still run code from it.</summary>
    public void Dispose()
    {
        Release();
        GC.SuppressFinalize(this);
    }

    private void Check(nint address, int length)
    {
        nint start = Live();
        if (length < 0 || address < start || (long)address - (long)start > Capacity - length)
        {
            throw new ArgumentOutOfRangeException(nameof(address), $"0x{address:x}+{length} is outside the code space [0x{start:x}, 0x{start + (nint)Capacity:x})");
        }
    }

    private nint Live() => _start != 0 ? _start : throw new ObjectDisposedException(nameof(CodeSpace));

    private void Release()
    {
        nint start = Interlocked.Exchange(ref _start, 0);
        if (start == 0)
        {
            return;
        }

        try
        {
            _memory.FreeChunk(start, Capacity);
        }
        catch (ObjectDisposedException)
        {
            // The memory went first (a private one, finalized together with us): nothing to give back.
        }
    }
}
