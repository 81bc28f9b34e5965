namespace Isa.Runtime.Cpu;

/// <summary>What the spec says about one instruction, for tools, tracing and the JIT frontend.</summary>
/// <param name="Name">The mnemonic as the spec names it (<c>addu</c>, <c>c.eq.s</c>).</param>
/// <param name="Syntax">The assembly syntax template from the spec.</param>
/// <param name="Mask">The fixed bits of the encoding.</param>
/// <param name="Match">The values of the fixed bits.</param>
/// <param name="Flags">Control-flow and memory behaviour.</param>
/// <param name="Fields">The encoding fields the instruction uses.</param>
/// <param name="SpecLocation">Spec file and line that define it (<c>isa/mips32.isa:120</c>).</param>
public sealed record InstructionInfo(
    string Name,
    string Syntax,
    ulong Mask,
    ulong Match,
    InstructionFlags Flags,
    IReadOnlyList<string> Fields,
    IReadOnlyList<string> Reads,
    IReadOnlyList<string> Writes,
    string SpecLocation);

[Flags]
public enum InstructionFlags
{
    None = 0,
    Branch = 1 << 0,
    Jump = 1 << 1,
    Indirect = 1 << 2,
    Likely = 1 << 3,
    Load = 1 << 4,
    Store = 1 << 5,
    Trap = 1 << 6,
    FloatingPoint = 1 << 7,
    EndsBlock = 1 << 8,
}
