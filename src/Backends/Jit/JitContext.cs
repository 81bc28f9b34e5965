using Isa.Runtime.Cpu;

namespace Isa.Backends.Jit;

/// <summary>
/// The execution host's scratch record in the <see cref="CpuStateBlock"/> header, just before the
/// guest state. JIT code keeps the state pointer in RBX, so every field is a negative offset from it.
/// </summary>
internal static class JitContext
{
    private const int Base = -CpuStateBlock.HeaderBytes;

    /// <summary>The host stack pointer at entry, restored by the exit routine.</summary>
    public const int SavedRsp = Base + 0;

    /// <summary>Written by the fault handler: the host RIP and the host address of a faulting access.</summary>
    public const int FaultRip = Base + 8;
    public const int FaultAddress = Base + 16;

    /// <summary>Where the fault handler resumes the faulting thread.</summary>
    public const int FaultLanding = Base + 24;

    /// <summary>In process: the guest-PC-to-host-code table of indirect jumps (the class LookupTable; inside a vCPU the table is at GS base).</summary>
    public const int LookupTable = Base + 32;

    /// <summary>Instructions the guest may still run; blocks subtract their length on entry.</summary>
    public const int Budget = Base + 40;

    /// <summary>The host address of the jump to patch for a link request.</summary>
    public const int ExitSite = Base + 56;

    /// <summary>The host address of guest address 0 (base-register addressing).</summary>
    public const int WindowBase = Base + 64;

    /// <summary>The CPU that runs instructions the JIT calls out for (a GCHandle), and the entry it calls.</summary>
    public const int CallOutHandle = Base + 72;
    public const int CallOutFunction = Base + 80;

    /// <summary>How many instructions the interpreter completed in the last call-out.</summary>
    public const int CallOutRetired = Base + 88;

    /// <summary>The exception flags (<c>FloatFlags</c> bits) of the floating-point instruction running natively.</summary>
    public const int FloatFlags = Base + 96;

    /// <summary>Inside a vCPU: the host's result of a call-out, which the vCPU's call-out stub returns in EAX.</summary>
    public const int VcpuCallOutResult = Base + 104;

    /// <summary>Inside a vCPU: set by the host when page tables changed during a call-out; the call-out stub flushes the TLB.</summary>
    public const int VcpuFlushTlb = Base + 108;

    /// <summary>Sixteen host registers as the fault landing pad saved them (RAX .. R15).</summary>
    public const int SavedRegisters = Base + 128;

    public const int Size = 256;
}
