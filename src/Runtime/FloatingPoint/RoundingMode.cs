namespace Isa.Runtime.FloatingPoint;

/// <summary>
/// IEEE 754-2008 rounding-direction attributes. Values 0–3 equal the MIPS FCSR.RM encoding (RN, RZ, RP, RM);
/// RISC-V <c>frm</c> uses the same values except that it encodes RDN (toward −∞) as 2 and RUP (toward +∞) as 3,
/// so a RISC-V front end must swap <see cref="Up"/> and <see cref="Down"/> (RMM = 4 matches).
/// Values outside this enumeration behave like <see cref="NearestEven"/>; guests must validate their mode fields.
/// </summary>
public enum RoundingMode
{
    /// <summary>Round to nearest, ties to even (roundTiesToEven, the IEEE default).</summary>
    NearestEven = 0,

    /// <summary>Round toward zero (truncate).</summary>
    TowardZero = 1,

    /// <summary>Round toward positive infinity (ceiling).</summary>
    Up = 2,

    /// <summary>Round toward negative infinity (floor).</summary>
    Down = 3,

    /// <summary>Round to nearest, ties away from zero (roundTiesToAway).</summary>
    NearestMaxMagnitude = 4,
}
