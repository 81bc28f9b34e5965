using System.Runtime.CompilerServices;
using Iced.Intel;
using Isa.Backends.Host;
using Isa.Runtime.Memory;
using static Iced.Intel.AssemblerRegisters;

namespace Isa.Tests.Backends.Host;

/// <summary>Real faults in generated code, caught by the process-wide handler.</summary>
public sealed unsafe class JitFaultHandlerTests : IDisposable
{
    // A JIT-style context: RBX points past these three words.
    private const int LandingOffset = -8, FaultRipOffset = -16, FaultAddressOffset = -24;
    private const int Landed = 0x1a4d;

    private readonly ExecutableMemory _code = new(1 << 16);
    private readonly nint _block = HostCode.AllocZeroed(64);

    public JitFaultHandlerTests() => JitFaultHandler.Install(_code.Start, _code.End, FaultRipOffset, FaultAddressOffset, LandingOffset);

    private nint Context => _block + 32;

    public void Dispose()
    {
        _code.Dispose();
        HostCode.Free(_block);
    }

    [Fact]
    public void AReadOfAnUnmappedGuestPageLandsOnTheLandingPad()
    {
        using var memory = new GuestMemory();
        memory.Map(0x1000, 0x1000, MemoryPermissions.ReadWrite);
        memory.Write32(0x1008, 77);
        var access = Access(write: false, out ulong faultRip);
        GuestSegment.EnsureGsBase(memory.WindowBase);
        Assert.True(JitFaultHandler.IsInstalled);

        Assert.Equal(77, access(Context, 0x1008, 0));
        for (uint i = 0; i < 100; i++)
        {
            Clear();
            uint address = 0x0800_0000 + (i * 0x1234);
            Assert.Equal(Landed, access(Context, address, 0));
            Assert.Equal(faultRip, Word(FaultRipOffset));
            Assert.Equal((ulong)memory.WindowBase + address, Word(FaultAddressOffset));
        }

        Assert.Equal(77, access(Context, 0x1008, 0)); // the host and the code carry on
    }

    [Fact]
    public void AWriteToAReadOnlyGuestPageLandsOnTheLandingPad()
    {
        using var memory = new GuestMemory();
        memory.Map(0x7000, 0x1000, MemoryPermissions.Read);
        var access = Access(write: true, out ulong faultRip);
        GuestSegment.EnsureGsBase(memory.WindowBase);

        Assert.Equal(Landed, access(Context, 0x7004, 5));
        Assert.Equal(faultRip, Word(FaultRipOffset));
        Assert.Equal((ulong)memory.WindowBase + 0x7004, Word(FaultAddressOffset));
        Assert.Equal(0u, memory.Read32(0x7004));
    }

    [Fact]
    public void ManagedNullDereferencesStillThrow()
    {
        Assert.True(JitFaultHandler.IsInstalled);
        Assert.Throws<NullReferenceException>(() => ReadValue(null));
        Assert.Equal(3, ReadValue(new Holder { Value = 3 }));
    }

    [Fact]
    public void InstallAcceptsTheSameRangeAndRejectsOtherOffsets()
    {
        JitFaultHandler.Install(_code.Start, _code.End, FaultRipOffset, FaultAddressOffset, LandingOffset);
        JitFaultHandler.Install(_code.Start + 64, _code.Start + 128, FaultRipOffset, FaultAddressOffset, LandingOffset);
        Assert.Throws<InvalidOperationException>(() => JitFaultHandler.Install(_code.Start, _code.End, -32, FaultAddressOffset, LandingOffset));
        Assert.Throws<ArgumentException>(() => JitFaultHandler.Install(_code.End, _code.Start, FaultRipOffset, FaultAddressOffset, LandingOffset));
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int ReadValue(Holder? holder) => holder!.Value;

    /// <summary>
    /// int access(context, guest address, value): a guest load (or store) through gs: with the
    /// context in RBX; the landing pad returns <see cref="Landed"/>.
    /// </summary>
    private delegate* unmanaged<nint, uint, uint, int> Access(bool write, out ulong faultRip)
    {
        var a = new Assembler(64);
        Label fault = a.CreateLabel(), landing = a.CreateLabel();
        a.push(rbx);
        a.mov(rbx, rdi);
        a.Label(ref fault);
        if (write)
        {
            a.mov(__dword_ptr.gs[esi], edx);
            a.xor(eax, eax);
        }
        else
        {
            a.mov(eax, __dword_ptr.gs[esi]);
        }

        a.pop(rbx);
        a.ret();
        a.Label(ref landing); // every register as at the fault: rbx still pushed
        a.mov(eax, Landed);
        a.pop(rbx);
        a.ret();

        (nint entry, AssemblerResult result) = HostCode.Emit(_code, a);
        *(ulong*)(Context + LandingOffset) = result.GetLabelRIP(landing);
        faultRip = result.GetLabelRIP(fault);
        return (delegate* unmanaged<nint, uint, uint, int>)entry;
    }

    private void Clear()
    {
        *(ulong*)(Context + FaultRipOffset) = 0;
        *(ulong*)(Context + FaultAddressOffset) = 0;
    }

    private ulong Word(int offset) => *(ulong*)(Context + offset);

    private sealed class Holder
    {
        public int Value;
    }
}
