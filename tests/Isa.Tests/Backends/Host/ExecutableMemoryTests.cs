using System.Runtime.InteropServices;
using Iced.Intel;
using Isa.Backends.Host;
using static Iced.Intel.AssemblerRegisters;

namespace Isa.Tests.Backends.Host;

public sealed unsafe class ExecutableMemoryTests
{
    [Fact]
    public void NoPageIsEverWritableAndExecutable()
    {
        using var memory = new ExecutableMemory(1 << 20);
        var a = new Assembler(64);
        a.mov(eax, 42);
        a.ret();
        HostCode.Emit(memory, a);
        // Touch the last page too: the views are mapped whole, nothing may change on use.
        memory.Write(memory.End - 4, [0xcc, 0xcc, 0xcc, 0xcc]);

        using var faultStub = new JitFaultStub(); // the signal handler's own code page
        var mappings = HostCode.Mappings();
        var rx = mappings.Where(m => m.Start < (ulong)memory.End && m.End > (ulong)memory.Start).ToList();
        Assert.NotEmpty(rx);
        Assert.All(rx, m => Assert.Equal("r-xs", m.Permissions));
        Assert.Equal((ulong)memory.Start, rx.Min(m => m.Start));
        Assert.Equal((ulong)memory.End, rx.Max(m => m.End));

        // The other view of the same memfd: written, never executed.
        var views = mappings.Where(m => m.Path.Contains("isa-jit-code")).ToList();
        Assert.Contains(views, m => m.Permissions == "rw-s");
        Assert.All(views, m => Assert.False(m.Permissions.Contains('w') && m.Permissions.Contains('x'), m.Permissions));
        ulong handler = (ulong)faultStub.Entry(JitFaultStub.SegvSlot);
        Assert.Equal("r-xp", mappings.Single(m => m.Start <= handler && handler < m.End).Permissions);
    }

    [Fact]
    public void CodeWrittenThroughTheRwViewRunsAtTheRxAddress()
    {
        using var memory = new ExecutableMemory(1 << 20);
        var a = new Assembler(64);
        a.lea(eax, __dword_ptr[rdi + rsi * 2 + 7]);
        a.ret();
        (nint entry, _) = HostCode.Emit(memory, a);

        Assert.True(memory.Contains(entry));
        var function = (delegate* unmanaged<int, int, int>)entry;
        Assert.Equal(7 + 5 + 6, function(5, 3));
        Assert.Equal(7 - 100 + 20, function(-100, 10));
    }

    [Fact]
    public void PatchingARel32JumpRedirectsLaterCalls()
    {
        using var memory = new ExecutableMemory(1 << 20);
        nint one = Constant(memory, 1);
        nint two = Constant(memory, 2);
        nint jump = memory.Allocate(16);
        memory.Write(jump, [0xe9, .. Rel32(jump, one)]); // jmp rel32
        var function = (delegate* unmanaged<int>)jump;
        Assert.Equal(1, function());

        memory.Write(jump + 1, Rel32(jump, two));
        Assert.Equal(2, function());
        memory.Write(jump + 1, Rel32(jump, one));
        Assert.Equal(1, function());
    }

    [Fact]
    public void AllocationsAreAlignedAndAFullMemoryThrowsUntilReset()
    {
        using var memory = new ExecutableMemory(8192);
        Assert.Equal(8192, memory.Capacity);
        Assert.Equal(memory.Start, memory.Allocate(3));
        nint aligned = memory.Allocate(100, 64);
        Assert.Equal(0, aligned % 64);
        Assert.Equal(aligned - memory.Start + 100, memory.Used);
        memory.Write(aligned, [0xc3]);

        Assert.Throws<ExecutableMemoryFullException>(() => memory.Allocate(8192));
        Assert.False(memory.TryAllocate(8100, out nint none));
        Assert.Equal(0, none);
        Assert.True(memory.TryAllocate(8192 - (int)memory.Used, out _, 1));
        Assert.IsAssignableFrom<OutOfMemoryException>(Assert.ThrowsAny<Exception>(() => memory.Allocate(1)));

        memory.Reset();
        Assert.Equal(0, memory.Used);
        Assert.Equal(0, Marshal.ReadByte(aligned)); // the pages went back to the host
        Assert.Equal(memory.Start, memory.Allocate(8192));
        Assert.Throws<ArgumentOutOfRangeException>(() => memory.Allocate(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => memory.Allocate(16, 3));
    }

    [Fact]
    public void ConcurrentAllocationsNeverOverlap()
    {
        using var memory = new ExecutableMemory(1 << 20);
        var addresses = new nint[2000];
        Parallel.For(0, addresses.Length, i => addresses[i] = memory.Allocate(24 + (i % 5), 8));
        Array.Sort(addresses);
        for (int i = 1; i < addresses.Length; i++)
        {
            Assert.True(addresses[i] - addresses[i - 1] >= 24);
        }
    }

    [Fact]
    public void WritesOutsideTheMemoryAndUseAfterDisposeAreRejected()
    {
        var memory = new ExecutableMemory(4096);
        Assert.Throws<ArgumentOutOfRangeException>(() => memory.Write(memory.End - 2, [1, 2, 3, 4]));
        Assert.Throws<ArgumentOutOfRangeException>(() => memory.Write(memory.Start - 1, [1]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ExecutableMemory(0));
        memory.Write(memory.End - 4, [1, 2, 3, 4]);
        memory.Dispose();
        Assert.Throws<ObjectDisposedException>(() => memory.Allocate(16));
        Assert.Throws<ObjectDisposedException>(() => memory.Write(0x1000, [1]));
    }

    [Fact]
    public void TheSharedMemoryIsOneProcessWideRegion()
    {
        ExecutableMemory shared = JitCode.Shared;
        Assert.Same(shared, JitCode.Shared);
        Assert.Equal(JitCode.SharedCapacity, shared.End - shared.Start);
        Assert.Throws<InvalidOperationException>(shared.Dispose);
        Assert.True(shared.Contains(shared.Allocate(64)));
    }

    [Fact]
    public void FreedChunksAreReusedMergedAndGiveBackTheirPages()
    {
        using var memory = new ExecutableMemory(64 << 20);
        Assert.True(memory.TryAllocateChunk(1 << 20, out nint a));
        Assert.True(memory.TryAllocateChunk(1 << 20, out nint b));
        Assert.True(memory.TryAllocateChunk(1 << 20, out nint c));
        Assert.Equal(a + (1 << 20), b);
        memory.Write(a, [0xcc, 0xcc]);

        // A freed chunk serves the next ones (split), and its pages read as never written.
        memory.FreeChunk(a, 1 << 20);
        Assert.True(memory.TryAllocateChunk(512 << 10, out nint d));
        Assert.True(memory.TryAllocateChunk(512 << 10, out nint e));
        Assert.Equal(a, d);
        Assert.Equal(a + (512 << 10), e);
        Assert.Equal(0, *(ushort*)d);

        // Neighbours merge: two halves and the chunk after them make room for a bigger chunk there.
        memory.FreeChunk(d, 512 << 10);
        memory.FreeChunk(e, 512 << 10);
        memory.FreeChunk(b, 1 << 20);
        Assert.Equal(2 << 20, memory.FreeChunkBytes);
        Assert.True(memory.TryAllocateChunk(3 << 19, out nint f));
        Assert.Equal(a, f);

        // Everything freed: the memory is empty again (free space at the top goes back to the bump allocator).
        memory.FreeChunk(f, 3 << 19);
        memory.FreeChunk(c, 1 << 20);
        Assert.Equal(0, memory.Used);
        Assert.Equal(0, memory.FreeChunkBytes);
        Assert.Throws<InvalidOperationException>(() => memory.FreeChunk(c, 1 << 20));
    }

    [Fact]
    public void ChunksOfWholeLargePagesAreLargePageAligned()
    {
        using var memory = new ExecutableMemory(64 << 20);
        Assert.True(memory.TryAllocateChunk(4096, out nint small));
        Assert.True(memory.TryAllocateChunk(4 << 20, out nint large));
        Assert.Equal(0, large % (2 << 20));
        Assert.True(memory.TryAllocateChunk(4096, out nint gap));
        if (large > small + 4096)
        {
            Assert.True(gap > small && gap < large, "the space alignment skipped serves a smaller chunk");
        }

        Assert.False(memory.TryAllocateChunk(64 << 20, out _));
    }

    [Fact]
    public void ACodeSpaceKeepsItsStubsAcrossAReset()
    {
        using var memory = new ExecutableMemory(1 << 20);
        using var space = new CodeSpace(memory, 64 << 10);
        Assert.True(space.TryAllocate(100, out nint stub));
        space.Write(stub, [0xc3]);
        space.KeepAllocated();
        Assert.Equal(4096, space.Kept);
        Assert.True(space.TryAllocate(50000, out nint block));
        space.Write(block, [0x90]);
        Assert.False(space.TryAllocate(20000, out _));

        space.Reset();
        Assert.Equal(0xc3, *(byte*)stub);
        Assert.Equal(0, *(byte*)block);
        Assert.True(space.TryAllocate(20000, out nint again));
        Assert.Equal(space.Start + 4096, again);
        Assert.Throws<ArgumentOutOfRangeException>(() => space.Write(space.End - 1, [1, 2]));
    }

    [Fact]
    public void ADisposedCodeSpaceServesTheNextOne()
    {
        using var memory = new ExecutableMemory(1 << 20);
        var first = new CodeSpace(memory, 256 << 10);
        nint start = first.Start;
        first.Dispose();
        using var second = new CodeSpace(memory, 256 << 10);
        Assert.Equal(start, second.Start);
        using var third = new CodeSpace(memory, 512 << 10);
        Assert.Throws<ExecutableMemoryFullException>(() => new CodeSpace(memory, 512 << 10));
        Assert.Throws<ObjectDisposedException>(() => first.Start);
    }

    private static nint Constant(ExecutableMemory memory, int value)
    {
        var a = new Assembler(64);
        a.mov(eax, value);
        a.ret();
        return HostCode.Emit(memory, a).Entry;
    }

    private static byte[] Rel32(nint jump, nint target) => BitConverter.GetBytes(checked((int)(target - (jump + 5))));
}
