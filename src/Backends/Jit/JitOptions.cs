using System.Runtime.Intrinsics.X86;
using Isa.Runtime.Jit;

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
    /// The longest block (also bounded by ISA_JIT_MAX_BLOCK). Tests that run a few instructions set
    /// it to their count: a block longer than the budget left is interpreted, not run.
    /// </summary>
    public int MaxBlockInstructions { get; init; } = int.MaxValue;

    /// <summary>
    /// Where set, translated code runs inside virtual CPUs of the VM this opens (KVM, WHPX), with
    /// FS-segment addressing (the vCPU's FS base is the guest window) whatever <see cref="Addressing"/> says.
    /// </summary>
    public Func<Vcpu.IHypervisor>? Hypervisor { get; init; }

    /// <summary>Big-endian guests load and store with MOVBE where the CPU has it.</summary>
    public bool UseMovbe { get; init; } = X86Base.IsSupported && (X86Base.CpuId(1, 0).Ecx & (1 << 22)) != 0;

    /// <summary>
    /// The optional CPU features spec templates may use (docs/spec-language.md): what the CPU has.
    /// A template needing a feature outside the set falls back to the instruction's generic lowering.
    /// </summary>
    public HostFeatures HostFeatures { get; init; } = DetectHostFeatures();

    /// <summary>Use the x64 templates specs carry; off, every instruction takes its generic lowering (to compare, and to test the fallback).</summary>
    public bool UseSpecTemplates { get; init; } = true;

    private static HostFeatures DetectHostFeatures()
    {
        HostFeatures f = HostFeatures.None;
        f |= Lzcnt.IsSupported ? HostFeatures.Lzcnt : 0;
        f |= Bmi1.IsSupported ? HostFeatures.Bmi1 : 0;
        f |= Bmi2.IsSupported ? HostFeatures.Bmi2 : 0;
        f |= Popcnt.IsSupported ? HostFeatures.Popcnt : 0;
        f |= X86Base.IsSupported && (X86Base.CpuId(1, 0).Ecx & (1 << 22)) != 0 ? HostFeatures.Movbe : 0;
        return f;
    }
}
