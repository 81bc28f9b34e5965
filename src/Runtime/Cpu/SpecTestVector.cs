namespace Isa.Runtime.Cpu;

/// <summary>
/// A test vector written in a spec: instruction words, the state before, and the state or trap
/// expected after executing <see cref="Steps"/> instructions. Engine-agnostic data, so the same
/// vectors check the interpreter and every JIT host.
/// </summary>
public sealed record SpecTestVector(
    string Name,
    string SpecLocation,
    IReadOnlyList<ulong> Words,
    int Steps,
    IReadOnlyList<RegisterValue> Setup,
    IReadOnlyList<MemoryValue> MemorySetup,
    IReadOnlyList<RegisterValue> Expected,
    IReadOnlyList<MemoryValue> ExpectedMemory,
    TrapKind? ExpectedTrap,
    string? ExpectedDisassembly)
{
    /// <summary>Guest address where the vector's instructions are placed.</summary>
    public const uint CodeAddress = 0x0040_0000;

    public override string ToString() => $"{Name} ({SpecLocation})";
}

/// <summary>A register element and its value. <see cref="File"/> -1 is the program counter.</summary>
public readonly record struct RegisterValue(int File, int Index, ulong Value)
{
    public const int ProgramCounter = -1;
}

/// <summary>A value of <see cref="Bytes"/> bytes at a guest address, in the guest's byte order.</summary>
public readonly record struct MemoryValue(uint Address, int Bytes, ulong Value);
