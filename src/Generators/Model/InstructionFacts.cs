using System.Collections.Generic;
using Isa.Generators.Semantics;

namespace Isa.Generators.Model;

/// <summary>
/// Derives an instruction's metadata from its semantics: control-flow and memory flags and the
/// registers it reads and writes, as the JIT frontend and tools need them. Nothing is hand-kept.
/// </summary>
internal static class InstructionFacts
{
    public static void Compute(InsnModel insn)
    {
        var flags = new SortedSet<string>();
        var reads = new SortedSet<string>();
        var writes = new SortedSet<string>();
        Walk(insn.Body, conditional: false, flags, reads, writes);
        // A block ends where control may go elsewhere for sure: a jump, or a trap that always happens
        // (syscall, break). Conditional traps (overflow, alignment) leave the block as side exits.
        if (flags.Contains("Jump") || flags.Contains("AlwaysTraps"))
        {
            flags.Add("EndsBlock");
        }

        flags.Remove("AlwaysTraps");

        insn.Flags.AddRange(flags);
        insn.Reads.AddRange(reads);
        insn.Writes.AddRange(writes);
    }

    private static void Walk(IReadOnlyList<IrStmt> statements, bool conditional, ISet<string> flags, ISet<string> reads, ISet<string> writes)
    {
        foreach (IrStmt s in statements)
        {
            switch (s)
            {
                case IrLet let:
                    Visit(let.Value, conditional, flags, reads);
                    break;
                case IrAssignLocal assign:
                    Visit(assign.Value, conditional, flags, reads);
                    break;
                case IrRegWrite write:
                    writes.Add(RegisterName(write.Register, write.Index));
                    if (write.Index is not null)
                    {
                        Visit(write.Index, conditional, flags, reads);
                    }

                    Visit(write.Value, conditional, flags, reads);
                    break;
                case IrIf f:
                    Visit(f.Condition, conditional, flags, reads);
                    bool real = f.Condition is not IrConst;
                    Walk(f.Then, conditional || real, flags, reads, writes);
                    Walk(f.Else, conditional || real, flags, reads, writes);
                    break;
                case IrEffect effect:
                    Visit(effect.Call, conditional, flags, reads);
                    break;
                case IrRaise raise:
                    flags.Add("Trap");
                    if (!conditional)
                    {
                        flags.Add("AlwaysTraps");
                    }

                    if (raise.Value is not null)
                    {
                        Visit(raise.Value, conditional, flags, reads);
                    }

                    break;
                case IrReturn ret when ret.Value is not null:
                    Visit(ret.Value, conditional, flags, reads);
                    break;
            }
        }
    }

    private static void Visit(IrExpr e, bool conditional, ISet<string> flags, ISet<string> reads)
    {
        switch (e)
        {
            case IrRegRead read:
                reads.Add(RegisterName(read.Register, read.Index));
                if (read.Index is not null)
                {
                    Visit(read.Index, conditional, flags, reads);
                }

                break;
            case IrUnary u:
                Visit(u.Operand, conditional, flags, reads);
                break;
            case IrBinary b:
                Visit(b.Left, conditional, flags, reads);
                Visit(b.Right, conditional, flags, reads);
                break;
            case IrConvert c:
                Visit(c.Operand, conditional, flags, reads);
                break;
            case IrSlice sl:
                Visit(sl.Operand, conditional, flags, reads);
                break;
            case IrConditional c:
                Visit(c.Condition, conditional, flags, reads);
                Visit(c.WhenTrue, conditional, flags, reads);
                Visit(c.WhenFalse, conditional, flags, reads);
                break;
            case IrBuiltinCall call:
                foreach (string flag in call.Builtin.Flags)
                {
                    flags.Add(flag);
                }

                if (call.Builtin.Name == "jump")
                {
                    if (conditional)
                    {
                        flags.Add("Branch");
                    }

                    flags.Add("Jump");
                    if (ReadsRegisters(call.Arguments[0]))
                    {
                        flags.Add("Indirect");
                    }
                }

                foreach (IrExpr arg in call.Arguments)
                {
                    Visit(arg, conditional, flags, reads);
                }

                break;
            case IrFuncCall call:
                foreach (IrExpr arg in call.Arguments)
                {
                    Visit(arg, conditional, flags, reads);
                }

                var inner = new HashSet<string>();
                Walk(call.Function.Body, conditional, flags, reads, inner);
                break;
        }
    }

    private static bool ReadsRegisters(IrExpr e) => e switch
    {
        IrRegRead => true,
        IrLocal => true,
        IrUnary u => ReadsRegisters(u.Operand),
        IrBinary b => ReadsRegisters(b.Left) || ReadsRegisters(b.Right),
        IrConvert c => ReadsRegisters(c.Operand),
        IrConditional c => ReadsRegisters(c.Condition) || ReadsRegisters(c.WhenTrue) || ReadsRegisters(c.WhenFalse),
        IrFuncCall or IrBuiltinCall => true,
        _ => false,
    };

    private static string RegisterName(RegisterModel reg, IrExpr? index) => index switch
    {
        null => reg.Name,
        IrField f => $"{reg.Name}[{f.Field.Name}]",
        IrConst c => $"{reg.Name}[{c.Value}]",
        _ => $"{reg.Name}[*]",
    };
}
