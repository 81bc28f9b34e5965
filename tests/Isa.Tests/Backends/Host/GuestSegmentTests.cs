using Iced.Intel;
using Isa.Backends.Host;
using Isa.Runtime.Memory;
using static Iced.Intel.AssemblerRegisters;

namespace Isa.Tests.Backends.Host;

public sealed unsafe class GuestSegmentTests : IDisposable
{
    private readonly ExecutableMemory _code = new(1 << 16);

    public void Dispose() => _code.Dispose();

    [Fact]
    public void GsOperandsReadTheGuestWindow()
    {
        using var memory = new GuestMemory();
        memory.Map(0x0040_0000, 0x1000, MemoryPermissions.ReadWrite);
        memory.Write32(0x0040_0010, 0xcafe_babe);

        GuestSegment.EnsureGsBase(memory.WindowBase);
        Assert.Equal(memory.WindowBase, GuestSegment.CurrentGsBase());
        GuestSegment.EnsureGsBase(memory.WindowBase); // cached: no change, still right
        Assert.Equal(memory.WindowBase, GuestSegment.CurrentGsBase());
        Assert.Equal(0xcafe_babeu, ReadGs(0x10)(0x0040_0000));
    }

    [Fact]
    public void ThirtyTwoBitAddressingWrapsInsideTheWindow()
    {
        using var memory = new GuestMemory();
        memory.Map(0, 0x1000, MemoryPermissions.ReadWrite);
        memory.Write32(0x10, 0x1234_5678);

        GuestSegment.EnsureGsBase(memory.WindowBase);
        // edi + 0x20 with edi = 0xfffffff0 is 0x10 in 32-bit addressing: window + 0x10, not window + 4 GiB + 0x10.
        Assert.Equal(0x1234_5678u, ReadGs(0x20)(0xffff_fff0));
    }

    [Fact]
    public void EachThreadKeepsItsOwnBase()
    {
        using var first = new GuestMemory();
        using var second = new GuestMemory();
        foreach ((GuestMemory memory, uint value) in new[] { (first, 0x1111_1111u), (second, 0x2222_2222u) })
        {
            memory.Map(0x1000, 0x1000, MemoryPermissions.ReadWrite);
            memory.Write32(0x1010, value);
        }

        var read = ReadGs(0x10);
        GuestSegment.EnsureGsBase(first.WindowBase);
        Assert.Equal(0x1111_1111u, read(0x1000));

        (nint otherBase, uint otherValue) = (0, 0);
        var thread = new Thread(() =>
        {
            GuestSegment.EnsureGsBase(second.WindowBase);
            otherBase = GuestSegment.CurrentGsBase();
            otherValue = read(0x1000);
        });
        thread.Start();
        thread.Join();
        Assert.Equal(second.WindowBase, otherBase);
        Assert.Equal(0x2222_2222u, otherValue);

        // This thread's base (and its cache) were not disturbed.
        Assert.Equal(first.WindowBase, GuestSegment.CurrentGsBase());
        GuestSegment.EnsureGsBase(first.WindowBase);
        Assert.Equal(0x1111_1111u, read(0x1000));
        GuestSegment.EnsureGsBase(second.WindowBase);
        Assert.Equal(0x2222_2222u, read(0x1000));
    }

    /// <summary><c>mov eax, gs:[edi + displacement]</c> (65 67 8B 47 xx): a 32-bit guest load.</summary>
    private delegate* unmanaged<uint, uint> ReadGs(int displacement)
    {
        var a = new Assembler(64);
        a.mov(eax, __dword_ptr.gs[edi + displacement]);
        a.ret();
        (nint entry, _) = HostCode.Emit(_code, a);
        byte[] bytes = new byte[5];
        new ReadOnlySpan<byte>((void*)entry, 5).CopyTo(bytes);
        Assert.Equal(new byte[] { 0x65, 0x67, 0x8b, 0x47, (byte)displacement }, bytes);
        return (delegate* unmanaged<uint, uint>)entry;
    }
}
