using System.Runtime.Intrinsics.X86;

namespace Isa.Backends.Jit;

/// <summary>How the JIT generates code; the defaults suit the host it runs on.</summary>
public sealed record JitOptions
{
    /// <summary>The GS segment where the host leaves it to us (Linux x64), a base register elsewhere.</summary>
    public MemoryAddressing Addressing { get; init; } = OperatingSystem.IsLinux() ? MemoryAddressing.GsSegment : MemoryAddressing.BaseRegister;

    /// <summary>
    /// A block runs on the interpreter the first time it is reached and is translated the second
    /// time: code that runs once (start-up, the dynamic linker) costs less interpreted. Off, every
    /// block is translated before it first runs (the lockstep tests do that).
    /// </summary>
    public bool InterpretFirstVisit { get; init; } = true;

    /// <summary>
    /// Where set, translated code runs inside virtual CPUs of the VM this opens (KVM, WHPX), with
    /// FS-segment addressing (the vCPU's FS base is the guest window) whatever <see cref="Addressing"/> says.
    /// </summary>
    public Func<Vcpu.IHypervisor>? Hypervisor { get; init; }

    /// <summary>Big-endian guests load and store with MOVBE where the CPU has it.</summary>
    public bool UseMovbe { get; init; } = X86Base.IsSupported && (X86Base.CpuId(1, 0).Ecx & (1 << 22)) != 0;
}
