using System.Runtime.InteropServices;
using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;

namespace Isa.Backends.Host;

/// <summary>
/// The machine code of the SIGSEGV/SIGBUS handler and the data it reads: the table of JIT code
/// ranges and the actions it chains to. Generated with Iced into a page of its own (written, then
/// made read+execute); the data lives in a separate read+write page, never executable. Managed code
/// cannot run in signal context, so the handler touches nothing but these two pages, the siginfo
/// and the ucontext. <see cref="JitFaultHandler"/> installs one stub for the process; tests call a
/// stub's entries directly with hand-made arguments.
/// </summary>
internal sealed unsafe class JitFaultStub : IDisposable
{
    public const int MaxRanges = 64;
    public const int SegvSlot = 0, BusSlot = 1;
    private const int SlotCount = 2;
    private const int PageSize = 4096;

    // Data page layout.
    private const int CountOffset = 0;
    private const int PreviousOffset = 8; // per slot: handler, flags
    private const int PreviousSize = 16;
    private const int RangesOffset = 64;

    // Linux x86-64 signal frame layout.
    private const int SiCode = 8, SiAddr = 16;
    private const int UcGregs = 40, RegRbx = 11, RegRip = 16;
    private const int UcRbx = UcGregs + (8 * RegRbx), UcRip = UcGregs + (8 * RegRip);

    /// <summary>One JIT code range; <see cref="End"/> = 0 marks a free slot (it matches no address).</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct Range
    {
        public ulong Start, End;
        public long FaultRipOffset, FaultAddressOffset, LandingOffset;
    }

    private readonly Lock _lock = new();
    private byte* _code;
    private byte* _data;
    private readonly nint[] _entries = new nint[SlotCount];

    public JitFaultStub()
    {
        LinuxNative.RequireSupported("the JIT fault handler");
        _code = MapPage();
        _data = MapPage();
        byte[] code = Assemble((ulong)_code, (ulong)_data, _entries);
        if (code.Length > PageSize)
        {
            throw new InvalidOperationException($"the fault handler ({code.Length} bytes) outgrew its page");
        }

        code.CopyTo(new Span<byte>(_code, code.Length));
        if (LinuxNative.mprotect(_code, PageSize, LinuxNative.ProtRead | LinuxNative.ProtExec) != 0)
        {
            throw LinuxNative.Failure("mprotect of the fault handler code");
        }
    }

    /// <summary>The handler for <paramref name="slot"/> (<see cref="SegvSlot"/> or <see cref="BusSlot"/>): <c>void (int, siginfo_t*, void*)</c>.</summary>
    public nint Entry(int slot) => _entries[slot];

    /// <summary>Sets the action a slot's handler chains to for faults not in JIT code.</summary>
    public void SetPrevious(int slot, nint handler, int flags)
    {
        ulong* previous = (ulong*)(_data + PreviousOffset + (slot * PreviousSize));
        previous[1] = (uint)flags;
        Volatile.Write(ref previous[0], (ulong)handler);
    }

    /// <summary>
    /// Registers [start, end) as JIT code. A range overlapping a registered one with the same
    /// offsets widens it to their union; with other offsets it is an error.
    /// </summary>
    public void AddRange(nint start, nint end, long faultRipOffset, long faultAddressOffset, long landingOffset)
    {
        lock (_lock)
        {
            ulong count = *(ulong*)(_data + CountOffset);
            int free = -1;
            for (int i = 0; i < (int)count; i++)
            {
                Range* range = RangeAt(i);
                if (range->End == 0)
                {
                    free = free < 0 ? i : free;
                    continue;
                }

                if ((ulong)start >= range->End || (ulong)end <= range->Start)
                {
                    continue;
                }

                if (range->FaultRipOffset != faultRipOffset || range->FaultAddressOffset != faultAddressOffset || range->LandingOffset != landingOffset)
                {
                    throw new InvalidOperationException(
                        $"JIT code range [0x{start:x}, 0x{end:x}) overlaps [0x{range->Start:x}, 0x{range->End:x}), registered with other context offsets");
                }

                // Each intermediate state covers a subset of the union, which is all JIT code.
                if ((ulong)start < range->Start)
                {
                    Volatile.Write(ref range->Start, (ulong)start);
                }

                if ((ulong)end > range->End)
                {
                    Volatile.Write(ref range->End, (ulong)end);
                }

                return;
            }

            if (free < 0)
            {
                if (count == MaxRanges)
                {
                    throw new InvalidOperationException($"more than {MaxRanges} JIT code ranges registered; allocate JIT code from JitCode.Shared");
                }

                free = (int)count;
            }

            // The handler reads End first: publish it last, the count after the whole entry.
            Range* slot = RangeAt(free);
            slot->Start = (ulong)start;
            slot->FaultRipOffset = faultRipOffset;
            slot->FaultAddressOffset = faultAddressOffset;
            slot->LandingOffset = landingOffset;
            Volatile.Write(ref slot->End, (ulong)end);
            if (free == (int)count)
            {
                Volatile.Write(ref *(ulong*)(_data + CountOffset), count + 1);
            }
        }
    }

    /// <summary>Unregisters every range overlapping [start, end).</summary>
    public void RemoveRange(nint start, nint end)
    {
        lock (_lock)
        {
            ulong count = *(ulong*)(_data + CountOffset);
            for (int i = 0; i < (int)count; i++)
            {
                Range* range = RangeAt(i);
                if (range->End != 0 && (ulong)start < range->End && (ulong)end > range->Start)
                {
                    Volatile.Write(ref range->End, 0UL);
                }
            }
        }
    }

    /// <summary>Frees a stub no signal action points to (tests); the process stub is never freed.</summary>
    public void Dispose()
    {
        if (_code != null)
        {
            LinuxNative.munmap(_code, PageSize);
            LinuxNative.munmap(_data, PageSize);
            _code = null;
            _data = null;
        }
    }

    private Range* RangeAt(int index) => (Range*)(_data + RangesOffset) + index;

    private static byte* MapPage()
    {
        void* page = LinuxNative.mmap(null, PageSize, LinuxNative.ProtRead | LinuxNative.ProtWrite, LinuxNative.MapPrivate | LinuxNative.MapAnonymous, -1, 0);
        return page != (void*)-1 ? (byte*)page : throw LinuxNative.Failure("mmap of a fault handler page");
    }

    private static byte[] Assemble(ulong codeAddress, ulong dataAddress, nint[] entries)
    {
        var a = new Assembler(64);
        var entryLabels = new Label[SlotCount];
        Label resetToDefault = a.CreateLabel("reset_to_default");
        Label resend = a.CreateLabel("resend");
        for (int slot = 0; slot < SlotCount; slot++)
        {
            entryLabels[slot] = a.CreateLabel();
            a.Label(ref entryLabels[slot]);
            EmitHandler(a, dataAddress, PreviousOffset + (slot * PreviousSize), resetToDefault, resend);
        }

        EmitResetToDefault(a, ref resetToDefault);
        EmitResend(a, ref resend);

        var stream = new MemoryStream();
        AssemblerResult result = a.Assemble(new StreamCodeWriter(stream), codeAddress, BlockEncoderOptions.ReturnNewInstructionOffsets);
        for (int slot = 0; slot < SlotCount; slot++)
        {
            entries[slot] = (nint)result.GetLabelRIP(entryLabels[slot]);
        }

        return stream.ToArray();
    }

    /// <summary>
    /// void handler(int sig /*rdi*/, siginfo_t* info /*rsi*/, ucontext_t* uc /*rdx*/). Clobbers only
    /// caller-saved registers of the handler; the kernel restores the interrupted ones from uc.
    /// </summary>
    private static void EmitHandler(Assembler a, ulong dataAddress, int previous, Label resetToDefault, Label resend)
    {
        Label loop = a.CreateLabel(), next = a.CreateLabel(), chain = a.CreateLabel();
        Label tail = a.CreateLabel(), noHandler = a.CreateLabel(), ignored = a.CreateLabel(), done = a.CreateLabel();

        a.mov(r8, dataAddress);
        // si_code <= 0: sent by a process (kill, tgkill, sigqueue), not raised by the access.
        a.mov(eax, __dword_ptr[rsi + SiCode]);
        a.test(eax, eax);
        a.jle(chain);
        a.mov(rax, __qword_ptr[rdx + UcRip]);
        a.mov(rcx, __qword_ptr[r8 + CountOffset]);
        a.lea(r9, __qword_ptr[r8 + RangesOffset]);
        a.Label(ref loop);
        a.test(rcx, rcx);
        a.jz(chain);
        a.cmp(rax, __qword_ptr[r9 + 8]); // End first: it publishes the entry
        a.jae(next);
        a.cmp(rax, __qword_ptr[r9]);
        a.jb(next);

        // A fault in JIT code: record it in the JIT's context (rbx) and resume at its landing pad.
        a.mov(r10, __qword_ptr[rdx + UcRbx]);
        a.mov(r11, __qword_ptr[r9 + 16]);
        a.mov(__qword_ptr[r10 + r11], rax);
        a.mov(r11, __qword_ptr[r9 + 24]);
        a.mov(rax, __qword_ptr[rsi + SiAddr]);
        a.mov(__qword_ptr[r10 + r11], rax);
        a.mov(r11, __qword_ptr[r9 + 32]);
        a.mov(rax, __qword_ptr[r10 + r11]);
        a.mov(__qword_ptr[rdx + UcRip], rax);
        a.ret();

        a.Label(ref next);
        a.add(r9, 40);
        a.dec(rcx);
        a.jmp(loop);

        // Not ours: call the previous action as the kernel would have (same arguments, same return
        // address: the restorer on the stack).
        a.Label(ref chain);
        a.mov(rax, __qword_ptr[r8 + previous]);
        a.cmp(rax, 1);
        a.jbe(noHandler);
        a.test(__dword_ptr[r8 + previous + 8], LinuxNative.SaResetHand);
        a.jz(tail);
        a.call(resetToDefault);
        a.mov(rax, __qword_ptr[r8 + previous]);
        a.Label(ref tail);
        a.jmp(rax);

        // SIG_DFL (0) or SIG_IGN (1). A fault re-runs on return under the default action, which
        // the kernel would also have forced for an ignored fault; a sent signal is sent again
        // under SIG_DFL (it stays blocked until sigreturn) and dropped under SIG_IGN.
        a.Label(ref noHandler);
        a.je(ignored);
        a.call(resetToDefault);
        a.mov(eax, __dword_ptr[rsi + SiCode]);
        a.test(eax, eax);
        a.jg(done);
        a.jmp(resend);
        a.Label(ref ignored);
        a.mov(eax, __dword_ptr[rsi + SiCode]);
        a.test(eax, eax);
        a.jle(done);
        a.call(resetToDefault);
        a.Label(ref done);
        a.ret();
    }

    /// <summary>rt_sigaction(sig, {SIG_DFL}, NULL, 8); keeps rdi, rsi, rdx and r8.</summary>
    private static void EmitResetToDefault(Assembler a, ref Label label)
    {
        a.Label(ref label);
        a.push(rsi);
        a.push(rdx);
        a.xor(eax, eax);
        for (int i = 0; i < 4; i++)
        {
            a.push(rax); // kernel struct sigaction: handler, flags, restorer, mask
        }

        a.mov(rsi, rsp);
        a.xor(edx, edx);
        a.mov(r10d, 8);
        a.mov(eax, (int)LinuxNative.SysRtSigaction);
        a.syscall();
        a.add(rsp, 32);
        a.pop(rdx);
        a.pop(rsi);
        a.ret();
    }

    /// <summary>tgkill(getpid(), gettid(), sig), then return from the handler.</summary>
    private static void EmitResend(Assembler a, ref Label label)
    {
        a.Label(ref label);
        a.mov(eax, (int)LinuxNative.SysGetpid);
        a.syscall();
        a.mov(r9, rax);
        a.mov(eax, (int)LinuxNative.SysGettid);
        a.syscall();
        a.mov(edx, edi);
        a.mov(esi, eax);
        a.mov(edi, r9d);
        a.mov(eax, (int)LinuxNative.SysTgkill);
        a.syscall();
        a.ret();
    }
}
