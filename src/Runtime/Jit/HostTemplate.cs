namespace Isa.Runtime.Jit;

/// <summary>
/// A hand-written host-code template a spec carries for one instruction (<c>x64 name { ... }</c>):
/// host instructions whose operands are placeholders, bound when the block is translated to the
/// guest registers, field values and scratch registers they name. The generator checked it against
/// the host's instruction set; an emitter that is not for <see cref="Host"/>, or runs on a CPU
/// without <see cref="Features"/>, uses the instruction's generic lowering instead.
/// </summary>
/// <param name="Name">The instruction, for messages.</param>
/// <param name="Inputs">How many values the generated code passes (guest register reads, field values).</param>
/// <param name="Outputs">Guest registers the template writes, in the order the generated code names them.</param>
/// <param name="OutputSources">Per output: the input that preloads it (the template reads it before writing it), or -1.</param>
/// <param name="CanonicalOutputs">Bit i: output i's last write covers the register's width (a 32-bit write
/// zero-extends), so its host register holds it in canonical form.</param>
/// <param name="FirstWrites">Per output: the first instruction that writes it.</param>
/// <param name="LastReads">Per input: the last instruction that reads it as a register, or -1. An output may
/// share a host register with an input of the same guest register only if the input is not read after
/// the output's first write.</param>
/// <param name="Temps">Scratch registers the template uses.</param>
/// <param name="EncoderVersion">The version of the host encoder whose instruction codes <see cref="HostTemplateInstruction.Code"/>
/// holds (for x64, Iced's assembly version when the generator ran): a backend built against another does not use the template.</param>
public sealed record HostTemplate(
    string Name,
    HostIsa Host,
    HostFeatures Features,
    int Inputs,
    int Outputs,
    int[] OutputSources,
    int CanonicalOutputs,
    int[] FirstWrites,
    int[] LastReads,
    int Temps,
    HostTemplateInstruction[] Instructions,
    string EncoderVersion);

/// <summary>The host instruction set a template is written for.</summary>
public enum HostIsa
{
    X64,
}

/// <summary>Optional CPU features a template needs; the emitter checks them at run time.</summary>
[Flags]
public enum HostFeatures
{
    None = 0,
    Lzcnt = 1,
    Bmi1 = 2,
    Bmi2 = 4,
    Popcnt = 8,
    Movbe = 16,
    Fma = 32,
    Sse41 = 64,
}

/// <summary>
/// One host instruction: the host's instruction code (for x64, Iced's <c>Code</c>; <paramref name="CodeName"/>
/// names it, so a backend built against another encoder version can tell) and up to three operands.
/// </summary>
public readonly record struct HostTemplateInstruction(int Code, string CodeName, HostOperand Op0, HostOperand Op1, HostOperand Op2)
{
    public int OperandCount => Op2.Kind != HostOperandKind.None ? 3 : Op1.Kind != HostOperandKind.None ? 2 : Op0.Kind != HostOperandKind.None ? 1 : 0;

    public HostOperand Operand(int i) => i switch { 0 => Op0, 1 => Op1, _ => Op2 };
}

/// <summary>A template operand: a register bound at translation time (of <paramref name="Bits"/> width) or an immediate.</summary>
public readonly record struct HostOperand(HostOperandKind Kind, int Slot, int Bits, long Value)
{
    public static HostOperand Input(int slot, int bits) => new(HostOperandKind.Input, slot, bits, 0);

    public static HostOperand Output(int slot, int bits) => new(HostOperandKind.Output, slot, bits, 0);

    public static HostOperand Temp(int slot, int bits) => new(HostOperandKind.Temp, slot, bits, 0);

    /// <summary>An immediate whose value is an input (a field value, constant at translation time).</summary>
    public static HostOperand InputImmediate(int slot) => new(HostOperandKind.InputImmediate, slot, 0, 0);

    public static HostOperand Immediate(long value) => new(HostOperandKind.Immediate, 0, 0, value);
}

public enum HostOperandKind
{
    None,

    /// <summary>A value the template only reads (a guest register), in a host register.</summary>
    Input,

    /// <summary>A guest register the template writes; stored back after the template.</summary>
    Output,

    /// <summary>A scratch register.</summary>
    Temp,

    InputImmediate,
    Immediate,
}

/// <summary>A guest register a template writes: its register file and element index.</summary>
public readonly record struct JitRegister(int File, int Index);
