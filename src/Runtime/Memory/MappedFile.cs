using System.Buffers;
using Microsoft.Win32.SafeHandles;

namespace Isa.Runtime.Memory;

/// <summary>
/// A whole file mapped read-only and private, seen as <see cref="Memory{T}"/>, with the open handle
/// kept for mapping its pages into a guest (<see cref="GuestMemory.TryMapFile"/>). Loaders read
/// headers and tables through it without reading the file into the heap: only the pages they touch
/// are faulted in, from the page cache. The mapping lives until <see cref="IDisposable.Dispose"/>, not
/// until a finalizer: a span of it may outlive every reference to this object.
/// </summary>
internal sealed unsafe class MappedFile : MemoryManager<byte>
{
    private byte* _address;
    private readonly int _length;

    private MappedFile(SafeFileHandle handle, byte* address, int length)
    {
        Handle = handle;
        _address = address;
        _length = length;
    }

    /// <summary>The open file, read-only.</summary>
    public SafeFileHandle Handle { get; }

    public int Length => _length;

    /// <summary>
    /// Maps <paramref name="path"/>, or returns null where it cannot be mapped (an empty file, which
    /// is also what /proc files report; one of 2 GiB or more; a pipe or device; a host without file
    /// mappings): callers then read it as a stream, which reports such cases as before.
    /// </summary>
    /// <exception cref="IOException">And the other exceptions of <see cref="File.OpenHandle"/>: the file cannot be opened.</exception>
    public static MappedFile? TryOpen(string path)
    {
        SafeFileHandle handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        try
        {
            long length = RandomAccess.GetLength(handle);
            byte* address = length is > 0 and <= int.MaxValue ? HostVirtualMemory.MapFileReadOnly(handle, (ulong)length) : null;
            if (address != null)
            {
                return new MappedFile(handle, address, (int)length);
            }
        }
        catch
        {
            handle.Dispose();
            throw;
        }

        handle.Dispose();
        return null;
    }

    public override Span<byte> GetSpan()
    {
        ObjectDisposedException.ThrowIf(_address == null, this);
        return new Span<byte>(_address, _length);
    }

    public override MemoryHandle Pin(int elementIndex = 0)
    {
        ObjectDisposedException.ThrowIf(_address == null, this);
        ArgumentOutOfRangeException.ThrowIfGreaterThan((uint)elementIndex, (uint)_length, nameof(elementIndex));
        return new MemoryHandle(_address + elementIndex);
    }

    public override void Unpin()
    {
    }

    protected override void Dispose(bool disposing)
    {
        if (_address != null)
        {
            HostVirtualMemory.Release(_address, (ulong)_length);
            _address = null;
        }

        if (disposing)
        {
            Handle.Dispose();
        }
    }
}
