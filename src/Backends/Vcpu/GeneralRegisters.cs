using System.Runtime.CompilerServices;

namespace Isa.Backends.Vcpu;

/// <summary>
/// The sixteen general registers indexed by their x64 encoding (0 RAX, 1 RCX, 2 RDX, 3 RBX, 4 RSP,
/// 5 RBP, 6 RSI, 7 RDI, 8-15 R8-R15, as Iced's <c>Register.RAX + n</c>), plus RIP and RFLAGS.
/// </summary>
public struct GeneralRegisters
{
    public const int Rax = 0, Rcx = 1, Rdx = 2, Rbx = 3, Rsp = 4, Rbp = 5, Rsi = 6, Rdi = 7;

    /// <summary>RFLAGS bit 1 is always set on x64.</summary>
    public const ulong ReservedFlag = 2;

    public Registers16 Gpr;
    public ulong Rip;
    public ulong Rflags;

    public ulong this[int index]
    {
        readonly get => Gpr[index];
        set => Gpr[index] = value;
    }

    [InlineArray(16)]
    public struct Registers16
    {
        private ulong _element;
    }
}
