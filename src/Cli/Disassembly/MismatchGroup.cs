namespace Isa.Cli.Disassembly;

/// <summary>
/// The mismatches of one objdump mnemonic: how many, what we printed instead (most frequent
/// first), and the first example in listing order. A spec writer reads it as "this instruction
/// or alias is missing or prints differently".
/// </summary>
public sealed record MismatchGroup(string ObjdumpMnemonic, long Count, IReadOnlyList<KeyValuePair<string, long>> OurMnemonics, Mismatch Example);
