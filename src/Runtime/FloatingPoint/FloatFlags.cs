namespace Isa.Runtime.FloatingPoint;

/// <summary>
/// The five IEEE 754 exception flags. The bit order equals the RISC-V <c>fflags</c> field
/// (NX, UF, OF, DZ, NV) and the MIPS FCSR flag/cause/enable field order (I, U, O, Z, V), so guests can
/// OR these values straight into their status registers (shifted to the field position).
/// </summary>
[Flags]
public enum FloatFlags : uint
{
    /// <summary>No exception.</summary>
    None = 0,

    /// <summary>The rounded result differs from the exact result.</summary>
    Inexact = 1,

    /// <summary>The result is tiny (detected after rounding) and inexact.</summary>
    Underflow = 2,

    /// <summary>The rounded result (with unbounded exponent) exceeds the largest finite number.</summary>
    Overflow = 4,

    /// <summary>An exact infinite result from finite operands (finite nonzero divided by zero).</summary>
    DivideByZero = 8,

    /// <summary>The operation has no usefully definable result (for example ∞−∞, 0×∞, √−1, signaling NaN operand).</summary>
    Invalid = 16,
}
