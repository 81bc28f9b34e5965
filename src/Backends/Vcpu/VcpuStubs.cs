using System.Runtime.InteropServices;
using Iced.Intel;
using Isa.Backends.Jit;
using static Iced.Intel.AssemblerRegisters;

namespace Isa.Backends.Vcpu;

/// <summary>The machine code a vCPU runs besides translated blocks: exception stubs (the IDT's targets) and the call-out stub.</summary>
internal sealed class VcpuStubs
{
    /// <summary>Bytes below RSP the resume stub's return address skips: a red zone the interrupted code may use.</summary>
    public const int ResumeRedZone = 128;

    private VcpuStubs(nint[] exceptions, nint callOut, nint flushEntry, nint flushResume)
    {
        Exceptions = exceptions;
        CallOut = callOut;
        FlushEntry = flushEntry;
        FlushResume = flushResume;
    }

    /// <summary>Entered instead of a block when page-table entries changed: reloads CR3 (flushing the TLB), then jumps to RCX.</summary>
    public nint FlushEntry { get; }

    /// <summary>
    /// Resumes interrupted code after reloading CR3: the host stores the interrupted RIP at RSP - 8 -
    /// <see cref="ResumeRedZone"/>, sets RSP there and RIP here; every register and flag is as it was.
    /// </summary>
    public nint FlushResume { get; }

    /// <summary>One stub per exception vector: pushes an error code where the CPU did not, then the vector, and halts.</summary>
    public nint[] Exceptions { get; }

    /// <summary>
    /// What JIT code calls (through the context's CallOutFunction) to run instructions on the
    /// interpreter: the count goes to the host in an <c>out</c>, the host's result comes back in EAX
    /// (and the TLB is flushed when the host asks: the interpreter changed page protections).
    /// </summary>
    public nint CallOut { get; }

    public static VcpuStubs Create(CodeBuffer code)
    {
        var a = new Assembler(64);
        var labels = new List<Label>();
        for (int v = 0; v < LongMode.Vectors; v++)
        {
            Label l = a.CreateLabel();
            a.Label(ref l);
            labels.Add(l);
            if (!VcpuProtocol.HasErrorCode(v))
            {
                a.push(0);
            }

            a.push(v);
            a.hlt();

            // The host never resumes an exception; a stray resume halts again.
            a.jmp(l);
        }

        Label callOut = a.CreateLabel();
        a.Label(ref callOut);
        labels.Add(callOut);
        a.mov(eax, OperatingSystem.IsWindows() ? edx : esi);
        a.mov(edx, (uint)VcpuProtocol.CallOutPort);
        a.@out(dx, eax);
        Label done = a.CreateLabel();
        a.cmp(__dword_ptr[rbx + JitContext.VcpuFlushTlb], 0);
        a.je(done);
        a.mov(__dword_ptr[rbx + JitContext.VcpuFlushTlb], 0);
        a.mov(rax, cr3);
        a.mov(cr3, rax);
        a.Label(ref done);
        a.mov(eax, __dword_ptr[rbx + JitContext.VcpuCallOutResult]);
        a.ret();

        Label flush = a.CreateLabel();
        a.Label(ref flush);
        labels.Add(flush);
        a.mov(rax, cr3);
        a.mov(cr3, rax);
        a.jmp(rcx);

        // Neither mov to/from CR3 nor push, pop and ret touch the flags.
        Label resume = a.CreateLabel();
        a.Label(ref resume);
        labels.Add(resume);
        a.push(rax);
        a.mov(rax, cr3);
        a.mov(cr3, rax);
        a.pop(rax);
        a.ret(ResumeRedZone);

        CodeBuffer.Placed placed = code.Place(a, CollectionsMarshal.AsSpan(labels));
        return new VcpuStubs(placed.Labels[..LongMode.Vectors], placed.Labels[LongMode.Vectors], placed.Labels[LongMode.Vectors + 1], placed.Labels[LongMode.Vectors + 2]);
    }
}
