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
    /// How many branches' worth of code a block may hold once the profile of the first
    /// <see cref="ResidentProfileInstructions"/> is done (1: a block ends at its first branch): a
    /// superblock goes on past conditional branches, the taken ones leaving by side exits, so the
    /// path not taken stays in one block, its registers in host registers.
    /// </summary>
    public int SuperblockSegments { get; init; } = 8;

    /// <summary>
    /// Where set, translated code runs inside virtual CPUs of the VM this opens (KVM, WHPX), with
    /// FS-segment addressing (the vCPU's FS base is the guest window) whatever <see cref="Addressing"/> says.
    /// </summary>
    public Func<Vcpu.IHypervisor>? Hypervisor { get; init; }

    /// <summary>
    /// The optional CPU features generated code may use: what the CPU has. An instruction (or a spec
    /// template, docs/spec-language.md) needing a feature outside the set takes a fallback (MOVBE:
    /// big-endian accesses with BSWAP).
    /// </summary>
    public HostFeatures HostFeatures { get; init; } = DetectedFeatures;

    /// <summary>
    /// Bytes of code space the engine translates into (a chunk of the process's JIT memory, given back
    /// when the engine is disposed). When it is full every translation is flushed and translation
    /// starts again in the emptied space; a block larger than the whole space is an error.
    /// </summary>
    public long CodeSpaceBytes { get; init; } = DefaultCodeSpaceBytes;

    /// <summary>256 MiB: only the pages written cost memory; 64 engines fit in the process's JIT memory at once.</summary>
    public const long DefaultCodeSpaceBytes = 256L << 20;

    /// <summary>The smallest code space: a page of runtime stubs, the rest for blocks.</summary>
    public const long MinCodeSpaceBytes = 16L << 10;

    /// <summary>The largest code space: the process's whole JIT memory.</summary>
    public const long MaxCodeSpaceBytes = Host.JitCode.SharedCapacity;

    /// <summary>
    /// Guest registers (register file, element) kept in host registers across all blocks: loaded when
    /// JIT code is entered and stored when it exits, so linked blocks pass them in registers. Null
    /// (the default): the engine picks <see cref="ResidentRegisterCount"/> of them from a profile of
    /// the first <see cref="ResidentProfileInstructions"/> guest instructions run in JIT code, then
    /// translates again. At most as many as there are home registers (six; five with a base register).
    /// </summary>
    public IReadOnlyList<(int File, int Index)>? ResidentRegisters { get; init; }

    /// <summary>
    /// How many guest registers a profile makes resident (at most the home registers there are); the
    /// home registers left serve each block's own busiest registers. 0: none.
    /// </summary>
    public int ResidentRegisterCount { get; init; } = 4;

    /// <summary>How many guest registers can be resident with <paramref name="addressing"/>: the home registers.</summary>
    public static int ResidentRegisterLimit(MemoryAddressing addressing) => X64.X64Emitter.HomeCount(addressing);

    /// <summary>Whether element <paramref name="index"/> of <paramref name="isa"/>'s register file <paramref name="file"/> can be resident (at most 64 bits, not hardwired).</summary>
    public static bool CanBeResident(Isa.Runtime.Cpu.GuestIsa isa, int file, int index) => X64.X64Emitter.CanBeResident(isa, file, index);

    /// <summary>Guest instructions run in JIT code before the profile picks the resident registers (programs shorter than that never switch).</summary>
    public long ResidentProfileInstructions { get; init; } = 20_000_000;

    /// <summary>Use the x64 templates specs carry; off, every instruction takes its generic lowering (to compare, and to test the fallback).</summary>
    public bool UseSpecTemplates { get; init; } = true;

    /// <summary>
    /// Read from CPUID, not from the .NET intrinsics' IsSupported: those say what the .NET compiler may
    /// use in this process (an ahead-of-time build fixes them at compile time), not what the CPU runs.
    /// </summary>
    private static readonly HostFeatures DetectedFeatures = DetectHostFeatures();

    private static HostFeatures DetectHostFeatures()
    {
        if (!X86Base.IsSupported)
        {
            return HostFeatures.None;
        }

        static bool Bit(int value, int bit) => (value & (1 << bit)) != 0;
        (_, _, int ecx1, _) = X86Base.CpuId(1, 0);
        int maxLeaf = X86Base.CpuId(0, 0).Eax;
        int ebx7 = maxLeaf >= 7 ? X86Base.CpuId(7, 0).Ebx : 0;
        int maxExtended = X86Base.CpuId(unchecked((int)0x8000_0000), 0).Eax;
        int ecxExtended = (uint)maxExtended >= 0x8000_0001 ? X86Base.CpuId(unchecked((int)0x8000_0001), 0).Ecx : 0;

        // FMA is VEX-encoded: it also needs the OS to save the AVX state (OSXSAVE with AVX; Linux enables it wherever the CPU has AVX).
        bool avxState = Bit(ecx1, 27) && Bit(ecx1, 28);
        HostFeatures f = HostFeatures.None;
        f |= Bit(ecxExtended, 5) ? HostFeatures.Lzcnt : 0;
        f |= Bit(ebx7, 3) ? HostFeatures.Bmi1 : 0;
        f |= Bit(ebx7, 8) ? HostFeatures.Bmi2 : 0;
        f |= Bit(ecx1, 23) ? HostFeatures.Popcnt : 0;
        f |= Bit(ecx1, 22) ? HostFeatures.Movbe : 0;
        f |= Bit(ecx1, 12) && avxState ? HostFeatures.Fma : 0;
        f |= Bit(ecx1, 19) ? HostFeatures.Sse41 : 0;
        return f;
    }
}
