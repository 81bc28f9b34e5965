using System.Runtime.InteropServices;
using Iced.Intel;
using Isa.Backends.Host;
using static Iced.Intel.AssemblerRegisters;

namespace Isa.Tests.Backends.Host;

/// <summary>
/// The fault handler's machine code called directly with hand-made siginfo and ucontext, so
/// chaining can be checked without raising signals. Chaining to SIG_DFL/SIG_IGN changes the
/// real action of the signal number passed, so those tests use SIGURG (default: ignore).
/// </summary>
public sealed unsafe partial class JitFaultStubTests : IDisposable
{
    private const int SigSegv = 11, SigBus = 7, SigUrg = 23;
    private const int SiUser = 0, SiTkill = -6, SegvMaperr = 1;
    private const int UcRbx = 40 + (8 * 11), UcRip = 40 + (8 * 16);
    private const long RipOffset = -16, AddressOffset = -24, LandingOffset = -8;
    private const long CodeStart = 0x7000_0000_0000, CodeEnd = 0x7000_0001_0000;

    private readonly JitFaultStub _stub = new();
    private readonly ExecutableMemory _code = new(1 << 16);
    private readonly nint _info = HostCode.AllocZeroed(128);
    private readonly nint _context = HostCode.AllocZeroed(1024);
    private readonly nint _jitContext = HostCode.AllocZeroed(64);
    private readonly nint _calls = HostCode.AllocZeroed(32);
    private readonly nint _recorder;

    public JitFaultStubTests()
    {
        // Records its three arguments and counts calls.
        var a = new Assembler(64);
        a.mov(rax, (ulong)_calls);
        a.mov(__qword_ptr[rax], rdi);
        a.mov(__qword_ptr[rax + 8], rsi);
        a.mov(__qword_ptr[rax + 16], rdx);
        a.inc(__qword_ptr[rax + 24]);
        a.ret();
        _recorder = HostCode.Emit(_code, a).Entry;
        _stub.AddRange(N(CodeStart), N(CodeEnd), RipOffset, AddressOffset, LandingOffset);
        _stub.SetPrevious(JitFaultStub.SegvSlot, _recorder, 4);
        _stub.SetPrevious(JitFaultStub.BusSlot, _recorder, 4);
        *(ulong*)(JitContext + LandingOffset) = 0x7000_0000_0800;
    }

    private nint JitContext => _jitContext + 32;

    private long Calls => *(long*)(_calls + 24);

    public void Dispose()
    {
        _stub.Dispose();
        _code.Dispose();
        foreach (nint block in new[] { _info, _context, _jitContext, _calls })
        {
            HostCode.Free(block);
        }
    }

    [Theory]
    [InlineData(JitFaultStub.SegvSlot, SigSegv)]
    [InlineData(JitFaultStub.BusSlot, SigBus)]
    public void AFaultInJitCodeResumesAtTheLandingPad(int slot, int signal)
    {
        Raise(slot, signal, SegvMaperr, rip: CodeStart + 0x123, address: 0x1234_5678);
        Assert.Equal(0x7000_0000_0800, Register(UcRip));
        Assert.Equal(CodeStart + 0x123, *(long*)(JitContext + RipOffset));
        Assert.Equal(0x1234_5678, *(long*)(JitContext + AddressOffset));
        Assert.Equal(0, Calls);
    }

    [Theory]
    [InlineData(JitFaultStub.SegvSlot, SigSegv, SegvMaperr, CodeEnd)] // just past the range
    [InlineData(JitFaultStub.SegvSlot, SigSegv, SegvMaperr, CodeStart - 1)]
    [InlineData(JitFaultStub.BusSlot, SigBus, SegvMaperr, 0x1000)]
    [InlineData(JitFaultStub.SegvSlot, SigSegv, SiUser, CodeStart + 8)] // kill(): not a fault of the code
    [InlineData(JitFaultStub.SegvSlot, SigSegv, SiTkill, CodeStart + 8)]
    public void OtherSignalsGoToThePreviousHandlerWithTheSameArguments(int slot, int signal, int code, long rip)
    {
        Raise(slot, signal, code, rip, address: 0x40);
        Assert.Equal(1, Calls);
        Assert.Equal(signal, *(long*)_calls);
        Assert.Equal(_info, *(nint*)(_calls + 8));
        Assert.Equal(_context, *(nint*)(_calls + 16));
        Assert.Equal(rip, Register(UcRip));
        Assert.Equal(0, *(long*)(JitContext + RipOffset));
    }

    [Fact]
    public void RangesWidenAndAreRemoved()
    {
        _stub.AddRange(N(CodeStart - 0x1000), N(CodeStart + 0x10), RipOffset, AddressOffset, LandingOffset);
        Raise(JitFaultStub.SegvSlot, SigSegv, SegvMaperr, CodeStart - 0x800, 0);
        Assert.Equal(0x7000_0000_0800, Register(UcRip));

        _stub.RemoveRange(N(CodeStart), N(CodeStart + 1));
        Raise(JitFaultStub.SegvSlot, SigSegv, SegvMaperr, CodeStart + 8, 0);
        Assert.Equal(1, Calls);
        _stub.AddRange(0x5000, 0x6000, RipOffset, AddressOffset, -32);
        Assert.Throws<InvalidOperationException>(() => _stub.AddRange(0x5800, 0x7000, RipOffset, AddressOffset, LandingOffset));
    }

    [Fact]
    public void RangesMatchByTheirOwnOffsetsAndFreedSlotsAreReused()
    {
        for (int i = 1; i < JitFaultStub.MaxRanges; i++)
        {
            _stub.AddRange(i * 0x10000, (i * 0x10000) + 0x1000, RipOffset, AddressOffset, i == 5 ? -32 : LandingOffset);
        }

        Assert.Throws<InvalidOperationException>(() => _stub.AddRange(N(0x10_0000_0000), N(0x10_0000_1000), RipOffset, AddressOffset, LandingOffset));
        _stub.RemoveRange(3 * 0x10000, (3 * 0x10000) + 1);
        _stub.AddRange(N(0x10_0000_0000), N(0x10_0000_1000), RipOffset, AddressOffset, LandingOffset);

        *(ulong*)(JitContext - 32) = 0x5555;
        Raise(JitFaultStub.SegvSlot, SigSegv, SegvMaperr, (5 * 0x10000) + 4, 0);
        Assert.Equal(0x5555, Register(UcRip));
        Raise(JitFaultStub.SegvSlot, SigSegv, SegvMaperr, 0x10_0000_0004, 0);
        Assert.Equal(0x7000_0000_0800, Register(UcRip));
        Raise(JitFaultStub.SegvSlot, SigSegv, SegvMaperr, (3 * 0x10000) + 4, 0);
        Assert.Equal(1, Calls);
    }

    [Fact]
    public void UnderSigIgnAFaultRestoresTheDefaultActionAndASentSignalIsDropped()
    {
        WithSigUrg(() =>
        {
            _stub.SetPrevious(JitFaultStub.SegvSlot, 1, 0);
            SetAction(SigUrg, 1);
            Raise(JitFaultStub.SegvSlot, SigUrg, SiTkill, 0x1000, 0);
            Assert.Equal(1, Action(SigUrg).Handler);

            Raise(JitFaultStub.SegvSlot, SigUrg, SegvMaperr, 0x1000, 0);
            Assert.Equal(0, Action(SigUrg).Handler);
            Assert.Equal(0x1000, Register(UcRip)); // the access re-runs under SIG_DFL
            Assert.Equal(0, Calls);
        });
    }

    [Fact]
    public void UnderSigDflASentSignalIsSentAgain()
    {
        WithSigUrg(() =>
        {
            _stub.SetPrevious(JitFaultStub.SegvSlot, 0, 0);
            SetAction(SigUrg, 1);
            SigSet urg = default, old = default, pending = default;
            urg.Words[0] = 1UL << (SigUrg - 1);
            Assert.Equal(0, pthread_sigmask(0 /* SIG_BLOCK */, &urg, &old));
            try
            {
                Raise(JitFaultStub.SegvSlot, SigUrg, SiUser, 0x1000, 0);
                Assert.Equal(0, Action(SigUrg).Handler);
                Assert.Equal(0, sigpending(&pending));
                Assert.NotEqual(0UL, pending.Words[0] & urg.Words[0]);
            }
            finally
            {
                SetAction(SigUrg, 1); // discards the pending signal
                pthread_sigmask(2 /* SIG_SETMASK */, &old, null);
            }
        });
    }

    [Fact]
    public void SaResetHandResetsTheActionBeforeCallingThePreviousHandler()
    {
        WithSigUrg(() =>
        {
            _stub.SetPrevious(JitFaultStub.SegvSlot, _recorder, 4 | unchecked((int)0x8000_0000));
            SetAction(SigUrg, 1);
            Raise(JitFaultStub.SegvSlot, SigUrg, SegvMaperr, 0x1000, 0);
            Assert.Equal(1, Calls);
            Assert.Equal(SigUrg, *(long*)_calls);
            Assert.Equal(0, Action(SigUrg).Handler);
        });
    }

    private void Raise(int slot, int signal, int code, long rip, long address)
    {
        *(int*)(_info + 0) = signal;
        *(int*)(_info + 8) = code;
        *(long*)(_info + 16) = address;
        *(long*)(_context + UcRip) = rip;
        *(nint*)(_context + UcRbx) = JitContext;
        var handler = (delegate* unmanaged<int, nint, nint, void>)_stub.Entry(slot);
        handler(signal, _info, _context);
    }

    /// <summary>A 64-bit address as nint (fake code addresses are 64-bit constants).</summary>
    private static nint N(long value) => (nint)value;

    private long Register(int offset) => *(long*)(_context + offset);

    private static void WithSigUrg(Action test)
    {
        Sigaction saved = Action(SigUrg);
        try
        {
            test();
        }
        finally
        {
            Assert.Equal(0, sigaction(SigUrg, &saved, null));
        }
    }

    private static Sigaction Action(int signal)
    {
        Sigaction action;
        Assert.Equal(0, sigaction(signal, null, &action));
        return action;
    }

    private static void SetAction(int signal, nint handler)
    {
        Sigaction action = default;
        action.Handler = handler;
        Assert.Equal(0, sigaction(signal, &action, null));
    }

    [StructLayout(LayoutKind.Explicit, Size = 152)]
    private struct Sigaction
    {
        [FieldOffset(0)] public nint Handler;
        [FieldOffset(136)] public int Flags;
    }

    [LibraryImport("libc")]
    private static partial int sigaction(int signal, Sigaction* action, Sigaction* oldAction);

    /// <summary>glibc's 128-byte sigset_t.</summary>
    private struct SigSet
    {
        public fixed ulong Words[16];
    }

    [LibraryImport("libc")]
    private static partial int pthread_sigmask(int how, SigSet* set, SigSet* oldSet);

    [LibraryImport("libc")]
    private static partial int sigpending(SigSet* set);
}
