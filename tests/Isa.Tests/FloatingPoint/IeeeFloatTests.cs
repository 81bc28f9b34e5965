using System.Numerics;
using Isa.Runtime.FloatingPoint;
using Xunit;

namespace Isa.Tests.FloatingPoint;

/// <summary>
/// Checks <see cref="IeeeFloat"/> against an exact BigInteger reference: every operation's exact value is computed as
/// a rational number and rounded in software for each rounding mode, and results (bit for bit) and flags must match.
/// </summary>
public sealed class IeeeFloatTests
{
    private static readonly RoundingMode[] Modes =
    [
        RoundingMode.NearestEven,
        RoundingMode.TowardZero,
        RoundingMode.Up,
        RoundingMode.Down,
        RoundingMode.NearestMaxMagnitude,
    ];

    // Operand sets per randomized test; ISA_IEEE_SAMPLES / ISA_IEEE_SEED override them for long local stress runs.
    private static readonly int Samples = int.TryParse(Environment.GetEnvironmentVariable("ISA_IEEE_SAMPLES"), out int n) ? n : 3000;
    private static readonly int SeedOffset = int.TryParse(Environment.GetEnvironmentVariable("ISA_IEEE_SEED"), out int n) ? n : 0;

    // ================================================================================================================
    // Exact reference
    // ================================================================================================================

    private sealed record Fmt(int P, int Emin, int Emax, bool Single);

    private static readonly Fmt F64 = new(53, -1022, 1023, false);
    private static readonly Fmt F32 = new(24, -126, 127, true);

    /// <summary>An exact binary value M × 2^E.</summary>
    private readonly record struct Dy(BigInteger M, int E)
    {
        public static Dy Of(double x)
        {
            long bits = BitConverter.DoubleToInt64Bits(x);
            int be = (int)((bits >> 52) & 0x7FF);
            long m = bits & 0xF_FFFF_FFFF_FFFF;
            int e = -1074;
            if (be != 0)
            {
                m |= 1L << 52;
                e = be - 1075;
            }

            return new Dy(bits < 0 ? -m : m, e);
        }

        public static Dy operator +(Dy a, Dy b)
        {
            int e = Math.Min(a.E, b.E);
            return new Dy((a.M << (a.E - e)) + (b.M << (b.E - e)), e);
        }

        public static Dy operator *(Dy a, Dy b) => new(a.M * b.M, a.E + b.E);

        public (BigInteger N, BigInteger D) Rational => E >= 0 ? (M << E, BigInteger.One) : (M, BigInteger.One << -E);
    }

    private delegate (BigInteger I, int Half, bool Exact) Scaler(int q);

    private static int FloorLog2(BigInteger n, BigInteger d)
    {
        int e = (int)(n.GetBitLength() - d.GetBitLength());
        bool atLeast = e >= 0 ? n >= d << e : n << -e >= d;
        return atLeast ? e : e - 1;
    }

    private static bool RefUp(RoundingMode rm, bool neg, BigInteger i, int half, bool exact) => rm switch
    {
        RoundingMode.TowardZero => false,
        RoundingMode.Up => !neg && !exact,
        RoundingMode.Down => neg && !exact,
        RoundingMode.NearestMaxMagnitude => half >= 0,
        _ => half > 0 || (half == 0 && !i.IsEven),
    };

    /// <summary>Rounds a nonzero value with 2^e ≤ |x| &lt; 2^(e+1); <paramref name="scaled"/> gives floor(|x|/2^q) and the fraction.</summary>
    private static (double Value, FloatFlags Flags) Finish(bool neg, int e, Scaler scaled, Fmt f, RoundingMode rm)
    {
        int q = Math.Max(e - f.P + 1, f.Emin - f.P + 1);
        var (i, half, exact) = scaled(q);
        BigInteger r = i + (RefUp(rm, neg, i, half, exact) ? 1 : 0);
        FloatFlags fl = exact ? FloatFlags.None : FloatFlags.Inexact;
        if (!r.IsZero && (long)r.GetBitLength() - 1 + q > f.Emax)
        {
            bool inf = rm switch
            {
                RoundingMode.TowardZero => false,
                RoundingMode.Up => !neg,
                RoundingMode.Down => neg,
                _ => true,
            };
            double mag = inf ? double.PositiveInfinity : f.Single ? float.MaxValue : double.MaxValue;
            return (neg ? -mag : mag, fl | FloatFlags.Overflow | FloatFlags.Inexact);
        }

        if (!exact && e < f.Emin)
        {
            int qu = e - f.P + 1;
            var (iu, hu, eu) = scaled(qu);
            BigInteger ru = iu + (RefUp(rm, neg, iu, hu, eu) ? 1 : 0);
            if ((long)ru.GetBitLength() - 1 + qu < f.Emin)
            {
                fl |= FloatFlags.Underflow; // tininess after rounding
            }
        }

        double v = Math.ScaleB((double)r, q);
        return (neg ? -v : v, fl);
    }

    private static (double Value, FloatFlags Flags) RoundRational(BigInteger n, BigInteger d, Fmt f, RoundingMode rm)
    {
        bool neg = n.Sign < 0;
        n = BigInteger.Abs(n);
        return Finish(neg, FloorLog2(n, d), q => ScaleRational(n, d, q), f, rm);
    }

    private static (BigInteger I, int Half, bool Exact) ScaleRational(BigInteger n, BigInteger d, int q)
    {
        BigInteger num = q >= 0 ? n : n << -q;
        BigInteger den = q >= 0 ? d << q : d;
        BigInteger i = BigInteger.DivRem(num, den, out BigInteger rem);
        return (i, (rem * 2).CompareTo(den), rem.IsZero);
    }

    private static BigInteger ISqrt(BigInteger v)
    {
        if (v.IsZero)
        {
            return v;
        }

        BigInteger x = BigInteger.One << (int)((v.GetBitLength() + 1) / 2);
        while (true)
        {
            BigInteger y = (x + (v / x)) >> 1;
            if (y >= x)
            {
                return x;
            }

            x = y;
        }
    }

    private static (double Value, FloatFlags Flags) RoundSqrt(BigInteger n, BigInteger d, Fmt f, RoundingMode rm)
    {
        int e = (int)Math.Floor(FloorLog2(n, d) / 2.0);
        return Finish(false, e, q =>
        {
            BigInteger num = q >= 0 ? n : n << (-2 * q);
            BigInteger den = q >= 0 ? d << (2 * q) : d;
            BigInteger i = ISqrt(num / den);
            bool exact = i * i * den == num;
            BigInteger t = (2 * i) + 1;
            return (i, (4 * num).CompareTo(t * t * den), exact);
        }, f, rm);
    }

    private static (double Value, FloatFlags Flags) RoundDy(Dy x, Fmt f, RoundingMode rm)
    {
        var (n, d) = x.Rational;
        return RoundRational(n, d, f, rm);
    }

    private static bool Neg(double x) => BitConverter.DoubleToInt64Bits(x) < 0;

    private static double ZeroSum(double a, double b, RoundingMode rm)
        => a == 0 && b == 0 && Neg(a) == Neg(b) ? a : rm == RoundingMode.Down ? -0.0 : 0.0;

    private static (double, FloatFlags) RefAdd(double a, double b, Fmt f, RoundingMode rm)
    {
        Dy x = Dy.Of(a) + Dy.Of(b);
        return x.M.IsZero ? (ZeroSum(a, b, rm), FloatFlags.None) : RoundDy(x, f, rm);
    }

    private static (double, FloatFlags) RefMul(double a, double b, Fmt f, RoundingMode rm)
    {
        if (a == 0 || b == 0)
        {
            return (Neg(a) ^ Neg(b) ? -0.0 : 0.0, FloatFlags.None);
        }

        return RoundDy(Dy.Of(a) * Dy.Of(b), f, rm);
    }

    private static (double, FloatFlags) RefDiv(double a, double b, Fmt f, RoundingMode rm)
    {
        if (a == 0)
        {
            return (Neg(a) ^ Neg(b) ? -0.0 : 0.0, FloatFlags.None);
        }

        var (na, da) = Dy.Of(a).Rational;
        var (nb, db) = Dy.Of(b).Rational;
        BigInteger n = na * db;
        BigInteger d = da * nb;
        if (d.Sign < 0)
        {
            n = -n;
            d = -d;
        }

        return RoundRational(n, d, f, rm);
    }

    private static (double, FloatFlags) RefSqrt(double a, Fmt f, RoundingMode rm)
    {
        if (a == 0)
        {
            return (a, FloatFlags.None);
        }

        var (n, d) = Dy.Of(a).Rational;
        return RoundSqrt(n, d, f, rm);
    }

    private static (double, FloatFlags) RefFma(double a, double b, double c, Fmt f, RoundingMode rm)
    {
        Dy x = (Dy.Of(a) * Dy.Of(b)) + Dy.Of(c);
        if (!x.M.IsZero)
        {
            return RoundDy(x, f, rm);
        }

        double p = Neg(a) ^ Neg(b) ? -0.0 : 0.0;
        return (a == 0 || b == 0 ? ZeroSum(p, c, rm) : rm == RoundingMode.Down ? -0.0 : 0.0, FloatFlags.None);
    }

    /// <summary>Rounds a finite value to an integer: (signed integer, exact).</summary>
    private static (BigInteger Value, bool Exact) RefRoundInt(double x, RoundingMode rm)
    {
        var (n, d) = Dy.Of(x).Rational;
        bool neg = n.Sign < 0;
        var (i, half, exact) = ScaleRational(BigInteger.Abs(n), d, 0);
        BigInteger r = i + (RefUp(rm, neg, i, half, exact) ? 1 : 0);
        return (neg ? -r : r, exact);
    }

    // ================================================================================================================
    // Operand generators (fixed seeds)
    // ================================================================================================================

    private static ulong R64(Random r) => (ulong)r.NextInt64() ^ ((ulong)r.Next(2) << 63);

    private static readonly double[] SpecialD =
    [
        0.0, double.Epsilon, 2 * double.Epsilon, 2.2250738585072014e-308, 2.2250738585072009e-308, double.MaxValue,
        1.0, 3.0, 0.1, 1.0 / 3, 0.5, 2.0, 1.5, 4503599627370496.0, 9007199254740992.0, 9007199254740993.0 - 2,
        Math.BitDecrement(1.0), Math.BitIncrement(1.0), Math.BitDecrement(double.MaxValue), 8.98846567431158e307,
    ];

    private static readonly float[] SpecialF =
    [
        0f, float.Epsilon, 2 * float.Epsilon, 1.17549435e-38f, 1.17549421e-38f, float.MaxValue, 1f, 3f, 0.1f, 1f / 3,
        16777216f, 16777215f, MathF.BitDecrement(1f), MathF.BitIncrement(1f), MathF.BitDecrement(float.MaxValue), 1.70141183e38f,
    ];

    /// <summary>A random finite value of the format (returned widened to double for binary32).</summary>
    private static double Rand(Random r, bool single)
    {
        int mantBits = single ? 23 : 52;
        int maxExp = single ? 254 : 2046;
        int bias = single ? 127 : 1023;
        ulong mantMask = (1UL << mantBits) - 1;
        ulong mant = R64(r) & mantMask;
        int exp;
        switch (r.Next(12))
        {
            case 0:
            case 1:
                exp = r.Next(0, maxExp + 1);
                break;
            case 2:
                exp = r.Next(bias - 40, bias + 40);
                break;
            case 3:
                exp = 0;
                mant >>= r.Next(0, mantBits); // subnormal with a random bit length
                break;
            case 4:
                exp = r.Next(1, 40);
                break;
            case 5:
                exp = r.Next(maxExp - 30, maxExp + 1);
                break;
            case 6:
                exp = r.Next(0, maxExp + 1);
                mant &= ~((1UL << (mantBits - r.Next(0, 12))) - 1); // few significant bits: ties and exact results
                break;
            case 7:
                exp = r.Next(bias - 30, bias + 30);
                mant &= ~((1UL << (mantBits - r.Next(0, 12))) - 1);
                break;
            case 8:
                exp = r.Next(0, maxExp + 1);
                mant = r.Next(4) switch { 0 => 0, 1 => 1, 2 => mantMask, _ => mantMask - 1 };
                break;
            case 9:
                exp = r.Next(bias - 5, bias + 60);
                mant &= ~((1UL << (mantBits - r.Next(0, 30))) - 1);
                break;
            default:
                double s = single ? SpecialF[r.Next(SpecialF.Length)] : SpecialD[r.Next(SpecialD.Length)];
                return r.Next(2) == 0 ? -s : s;
        }

        bool neg = r.Next(2) == 0;
        if (single)
        {
            uint bits = ((uint)exp << 23) | (uint)mant | (neg ? 0x8000_0000u : 0);
            return BitConverter.UInt32BitsToSingle(bits);
        }

        return BitConverter.UInt64BitsToDouble(((ulong)exp << 52) | mant | (neg ? 1UL << 63 : 0));
    }

    private static double Fit(double x, bool single) => single ? (float)x : x;

    private static double Finite(double x, Random r, bool single) => double.IsFinite(x) ? x : Rand(r, single);

    /// <summary>Moves x by k units in the last place (staying finite and on the same side of zero).</summary>
    private static double Perturb(double x, int k, bool single)
    {
        double y = single
            ? BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits((float)x) + k)
            : BitConverter.Int64BitsToDouble(BitConverter.DoubleToInt64Bits(x) + k);
        return double.IsFinite(y) && (Neg(y) == Neg(x) || x == 0) ? y : x;
    }

    private static double ScaleB(double m, int n, bool single) => single ? MathF.ScaleB((float)m, n) : Math.ScaleB(m, n);

    /// <summary>A random significand in [1, 2), often with few bits.</summary>
    private static double Mant(Random r, bool single)
    {
        int bits = single ? 23 : 52;
        ulong m = R64(r) & ((1UL << bits) - 1);
        if (r.Next(2) == 0)
        {
            m &= ~((1UL << (bits - r.Next(0, 14))) - 1);
        }

        return 1.0 + ((double)m / (1UL << bits));
    }

    private static int ILogB(double x) => x == 0 ? 0 : Math.ILogB(x);

    /// <summary>A value whose binary exponent is near <paramref name="e"/> (random sign).</summary>
    private static double Near(Random r, int e, bool single)
    {
        double m = Mant(r, single);
        return ScaleB(r.Next(2) == 0 ? -m : m, e, single);
    }

    /// <summary>An interesting exponent for a result: anywhere, near the underflow or overflow thresholds, or near 0.</summary>
    private static int TargetExp(Random r, bool single)
    {
        int emin = single ? -126 : -1022;
        int emax = single ? 127 : 1023;
        int p = single ? 24 : 53;
        return r.Next(5) switch
        {
            0 => r.Next(emin - p - 2, emin + 3),
            1 => r.Next(emin - 3, emin + p + 3),
            2 => r.Next(emax - 3, emax + 2),
            3 => r.Next(-20, 20),
            _ => r.Next(emin - p - 2, emax + 2),
        };
    }

    private static (double A, double B) AddPair(Random r, bool single)
    {
        double a = Rand(r, single);
        double b = r.Next(5) switch
        {
            0 or 1 => Rand(r, single),
            // Opposite sign, nearly equal: cancellation.
            2 => -Perturb(a, r.Next(-2, 3), single),
            // Around half an ulp of a (ties), and around the overflow threshold when a is large.
            3 => Near(r, ILogB(a) - (single ? 24 : 53) + r.Next(-3, 3), single),
            _ => Near(r, ILogB(a) - r.Next(0, single ? 30 : 60), single),
        };
        b = Finite(b, r, single);
        return r.Next(2) == 0 ? (a, b) : (b, a);
    }

    private static (double A, double B) MulPair(Random r, bool single)
    {
        double a = Rand(r, single);
        if (r.Next(3) == 0 || a == 0)
        {
            return (a, Rand(r, single));
        }

        return (a, Finite(Near(r, TargetExp(r, single) - ILogB(a), single), r, single));
    }

    private static (double A, double B) DivPair(Random r, bool single)
    {
        double b = Rand(r, single);
        int k = r.Next(4);
        if (k == 0 || b == 0)
        {
            return (Rand(r, single), b);
        }

        if (k == 1)
        {
            // Exact quotients: a = b * (short significand), when representable.
            double q = Near(r, r.Next(-10, 10), single);
            return (Finite(Fit(q * b, single), r, single), b);
        }

        return (Finite(Near(r, TargetExp(r, single) + ILogB(b), single), r, single), b);
    }

    private static double SqrtOperand(Random r, bool single)
    {
        switch (r.Next(3))
        {
            case 0:
                // Exact squares and neighbours.
                double m = Near(r, r.Next(single ? -75 : -540, single ? 64 : 512), single);
                double sq = Fit(m * m, single);
                return Math.Abs(Perturb(sq, r.Next(-1, 2), single));
            default:
                return Math.Abs(Rand(r, single));
        }
    }

    private static (double A, double B, double C) FmaTriple(Random r, bool single)
    {
        var (a, b) = MulPair(r, single);
        double p = Fit(a * b, single);
        int ep = ILogB(p == 0 || double.IsInfinity(p) ? 1 : p);
        double c = r.Next(6) switch
        {
            0 => Rand(r, single),
            1 => -p, // result is the rounding error of the product: tiny, often subnormal
            2 => -Perturb(p, r.Next(-2, 3), single),
            3 => Near(r, ep - r.Next(-3, single ? 60 : 120), single),
            4 => Near(r, TargetExp(r, single), single),
            _ => Near(r, ep + r.Next(0, 4), single),
        };
        return (a, b, Finite(c, r, single));
    }

    // ================================================================================================================
    // Checking helpers
    // ================================================================================================================

    private sealed class Failures
    {
        private readonly List<string> _list = [];
        private int _count;

        public int Checked { get; private set; }

        public void Check(string what, double got, FloatFlags gotFlags, double expected, FloatFlags expectedFlags)
        {
            Checked++;
            bool same = double.IsNaN(expected)
                ? double.IsNaN(got)
                : BitConverter.DoubleToInt64Bits(got) == BitConverter.DoubleToInt64Bits(expected);
            if (!same || gotFlags != expectedFlags)
            {
                _count++;
                if (_list.Count < 25)
                {
                    _list.Add($"{what}: got {got:R} [{gotFlags}], expected {expected:R} [{expectedFlags}]");
                }
            }
        }

        public void AssertNone()
        {
            Assert.True(_count == 0, $"{_count} of {Checked} checks failed:\n" + string.Join("\n", _list));
        }
    }

    private static string S(double x) => $"{x:R}(0x{BitConverter.DoubleToInt64Bits(x):X16})";

    private static string S32(double x) => $"{(float)x:R}(0x{BitConverter.SingleToInt32Bits((float)x):X8})";

    // ================================================================================================================
    // Randomized tests against the reference
    // ================================================================================================================

    [Fact]
    public void Binary64AddSub()
    {
        var r = new Random(SeedOffset + 6401);
        var fails = new Failures();
        for (int n = 0; n < Samples * 2; n++)
        {
            var (a, b) = AddPair(r, false);
            bool sub = (n & 1) != 0;
            foreach (RoundingMode rm in Modes)
            {
                FloatFlags fl = FloatFlags.None;
                double got = sub ? IeeeFloat.Sub(a, b, rm, ref fl) : IeeeFloat.Add(a, b, rm, ref fl);
                var (exp, ef) = RefAdd(a, sub ? -b : b, F64, rm);
                fails.Check($"{(sub ? "Sub" : "Add")}64({S(a)}, {S(b)}, {rm})", got, fl, exp, ef);
            }
        }

        fails.AssertNone();
    }

    [Fact]
    public void Binary64Mul()
    {
        var r = new Random(SeedOffset + 6402);
        var fails = new Failures();
        for (int n = 0; n < Samples; n++)
        {
            var (a, b) = MulPair(r, false);
            foreach (RoundingMode rm in Modes)
            {
                FloatFlags fl = FloatFlags.None;
                double got = IeeeFloat.Mul(a, b, rm, ref fl);
                var (exp, ef) = RefMul(a, b, F64, rm);
                fails.Check($"Mul64({S(a)}, {S(b)}, {rm})", got, fl, exp, ef);
            }
        }

        fails.AssertNone();
    }

    [Fact]
    public void Binary64Div()
    {
        var r = new Random(SeedOffset + 6403);
        var fails = new Failures();
        for (int n = 0; n < Samples; n++)
        {
            var (a, b) = DivPair(r, false);
            if (b == 0)
            {
                continue;
            }

            foreach (RoundingMode rm in Modes)
            {
                FloatFlags fl = FloatFlags.None;
                double got = IeeeFloat.Div(a, b, rm, ref fl);
                var (exp, ef) = RefDiv(a, b, F64, rm);
                fails.Check($"Div64({S(a)}, {S(b)}, {rm})", got, fl, exp, ef);
            }
        }

        fails.AssertNone();
    }

    [Fact]
    public void Binary64Sqrt()
    {
        var r = new Random(SeedOffset + 6404);
        var fails = new Failures();
        for (int n = 0; n < Samples; n++)
        {
            double a = SqrtOperand(r, false);
            foreach (RoundingMode rm in Modes)
            {
                FloatFlags fl = FloatFlags.None;
                double got = IeeeFloat.Sqrt(a, rm, ref fl);
                var (exp, ef) = RefSqrt(a, F64, rm);
                fails.Check($"Sqrt64({S(a)}, {rm})", got, fl, exp, ef);
            }
        }

        fails.AssertNone();
    }

    [Fact]
    public void Binary64Fma()
    {
        var r = new Random(SeedOffset + 6405);
        var fails = new Failures();
        for (int n = 0; n < Samples * 2; n++)
        {
            var (a, b, c) = FmaTriple(r, false);
            foreach (RoundingMode rm in Modes)
            {
                FloatFlags fl = FloatFlags.None;
                double got = IeeeFloat.FusedMultiplyAdd(a, b, c, rm, ref fl);
                var (exp, ef) = RefFma(a, b, c, F64, rm);
                fails.Check($"Fma64({S(a)}, {S(b)}, {S(c)}, {rm})", got, fl, exp, ef);
            }
        }

        fails.AssertNone();
    }

    [Fact]
    public void Binary32AddSub()
    {
        var r = new Random(SeedOffset + 3201);
        var fails = new Failures();
        for (int n = 0; n < Samples * 2; n++)
        {
            var (a, b) = AddPair(r, true);
            bool sub = (n & 1) != 0;
            foreach (RoundingMode rm in Modes)
            {
                FloatFlags fl = FloatFlags.None;
                float got = sub ? IeeeFloat.Sub((float)a, (float)b, rm, ref fl) : IeeeFloat.Add((float)a, (float)b, rm, ref fl);
                var (exp, ef) = RefAdd(a, sub ? -b : b, F32, rm);
                fails.Check($"{(sub ? "Sub" : "Add")}32({S32(a)}, {S32(b)}, {rm})", got, fl, exp, ef);
            }
        }

        fails.AssertNone();
    }

    [Fact]
    public void Binary32Mul()
    {
        var r = new Random(SeedOffset + 3202);
        var fails = new Failures();
        for (int n = 0; n < Samples; n++)
        {
            var (a, b) = MulPair(r, true);
            foreach (RoundingMode rm in Modes)
            {
                FloatFlags fl = FloatFlags.None;
                float got = IeeeFloat.Mul((float)a, (float)b, rm, ref fl);
                var (exp, ef) = RefMul(a, b, F32, rm);
                fails.Check($"Mul32({S32(a)}, {S32(b)}, {rm})", got, fl, exp, ef);
            }
        }

        fails.AssertNone();
    }

    [Fact]
    public void Binary32Div()
    {
        var r = new Random(SeedOffset + 3203);
        var fails = new Failures();
        for (int n = 0; n < Samples; n++)
        {
            var (a, b) = DivPair(r, true);
            if (b == 0)
            {
                continue;
            }

            foreach (RoundingMode rm in Modes)
            {
                FloatFlags fl = FloatFlags.None;
                float got = IeeeFloat.Div((float)a, (float)b, rm, ref fl);
                var (exp, ef) = RefDiv(a, b, F32, rm);
                fails.Check($"Div32({S32(a)}, {S32(b)}, {rm})", got, fl, exp, ef);
            }
        }

        fails.AssertNone();
    }

    [Fact]
    public void Binary32Sqrt()
    {
        var r = new Random(SeedOffset + 3204);
        var fails = new Failures();
        for (int n = 0; n < Samples; n++)
        {
            double a = SqrtOperand(r, true);
            foreach (RoundingMode rm in Modes)
            {
                FloatFlags fl = FloatFlags.None;
                float got = IeeeFloat.Sqrt((float)a, rm, ref fl);
                var (exp, ef) = RefSqrt(a, F32, rm);
                fails.Check($"Sqrt32({S32(a)}, {rm})", got, fl, exp, ef);
            }
        }

        fails.AssertNone();
    }

    [Fact]
    public void Binary32Fma()
    {
        var r = new Random(SeedOffset + 3205);
        var fails = new Failures();
        for (int n = 0; n < Samples * 2; n++)
        {
            var (a, b, c) = FmaTriple(r, true);
            foreach (RoundingMode rm in Modes)
            {
                FloatFlags fl = FloatFlags.None;
                float got = IeeeFloat.FusedMultiplyAdd((float)a, (float)b, (float)c, rm, ref fl);
                var (exp, ef) = RefFma(a, b, c, F32, rm);
                fails.Check($"Fma32({S32(a)}, {S32(b)}, {S32(c)}, {rm})", got, fl, exp, ef);
            }
        }

        fails.AssertNone();
    }

    [Fact]
    public void DoubleToSingle()
    {
        var r = new Random(SeedOffset + 3264);
        var fails = new Failures();
        for (int n = 0; n < Samples * 2; n++)
        {
            double x;
            switch (r.Next(4))
            {
                case 0:
                    x = Rand(r, false);
                    break;
                case 1:
                    x = Near(r, r.Next(-155, 130), false);
                    break;
                default:
                    // binary32 midpoints, their neighbours, and values near the binary32 thresholds.
                    double f = Rand(r, true);
                    double next = MathF.BitIncrement((float)Math.Abs(f));
                    double mid = (Math.Abs(f) + next) / 2;
                    x = r.Next(3) switch { 0 => mid, 1 => Math.BitIncrement(mid), _ => Math.BitDecrement(mid) };
                    x = double.IsFinite(x) ? (Neg(f) ? -x : x) : f;
                    break;
            }

            foreach (RoundingMode rm in Modes)
            {
                FloatFlags fl = FloatFlags.None;
                float got = IeeeFloat.ToSingle(x, rm, ref fl);
                var (exp, ef) = x == 0 ? (x, FloatFlags.None) : RoundDy(Dy.Of(x), F32, rm);
                fails.Check($"ToSingle({S(x)}, {rm})", got, fl, exp, ef);
            }
        }

        fails.AssertNone();
    }

    [Fact]
    public void IntegerToFloat()
    {
        var r = new Random(SeedOffset + 6432);
        var fails = new Failures();
        for (int n = 0; n < Samples * 2; n++)
        {
            ulong u = R64(r) >> r.Next(0, 64);
            if (r.Next(4) == 0)
            {
                u &= ~((1UL << r.Next(0, 40)) - 1); // trailing zeros: exact or halfway cases
                u |= r.Next(2) == 0 ? 0 : 1UL << r.Next(0, 64);
            }

            long s = (long)u;
            int s32 = (int)u;
            uint u32 = (uint)u;
            foreach (RoundingMode rm in Modes)
            {
                FloatFlags fl = FloatFlags.None;
                (double, FloatFlags) Ref(BigInteger v, Fmt f) => v.IsZero ? (0.0, FloatFlags.None) : RoundRational(v, BigInteger.One, f, rm);

                fl = FloatFlags.None;
                double got = IeeeFloat.Int64ToDouble(s, rm, ref fl);
                var (e, ef) = Ref(s, F64);
                fails.Check($"Int64ToDouble({s}, {rm})", got, fl, e, ef);

                fl = FloatFlags.None;
                got = IeeeFloat.UInt64ToDouble(u, rm, ref fl);
                (e, ef) = Ref(u, F64);
                fails.Check($"UInt64ToDouble({u}, {rm})", got, fl, e, ef);

                fl = FloatFlags.None;
                got = IeeeFloat.Int64ToSingle(s, rm, ref fl);
                (e, ef) = Ref(s, F32);
                fails.Check($"Int64ToSingle({s}, {rm})", got, fl, e, ef);

                fl = FloatFlags.None;
                got = IeeeFloat.UInt64ToSingle(u, rm, ref fl);
                (e, ef) = Ref(u, F32);
                fails.Check($"UInt64ToSingle({u}, {rm})", got, fl, e, ef);

                fl = FloatFlags.None;
                got = IeeeFloat.Int32ToSingle(s32, rm, ref fl);
                (e, ef) = Ref(s32, F32);
                fails.Check($"Int32ToSingle({s32}, {rm})", got, fl, e, ef);

                fl = FloatFlags.None;
                got = IeeeFloat.UInt32ToSingle(u32, rm, ref fl);
                (e, ef) = Ref(u32, F32);
                fails.Check($"UInt32ToSingle({u32}, {rm})", got, fl, e, ef);

                fl = FloatFlags.None;
                got = IeeeFloat.Int32ToDouble(s32, rm, ref fl) + IeeeFloat.UInt32ToDouble(u32, rm, ref fl);
                fails.Check($"Int32ToDouble({s32}) + UInt32ToDouble({u32})", got, fl, (double)s32 + u32, FloatFlags.None);
            }
        }

        fails.AssertNone();
    }

    private static double IntOperand(Random r)
    {
        double[] limits = [0, 1, 2147483648.0, 4294967296.0, 9223372036854775808.0, 18446744073709551616.0];
        double x = r.Next(4) switch
        {
            0 => Rand(r, false),
            1 => Near(r, r.Next(-3, 66), false),
            2 => (r.Next(-8, 9) / 4.0) + limits[r.Next(limits.Length)] * (r.Next(2) == 0 ? 1 : -1),
            _ => Math.ScaleB((double)(R64(r) >> 12), r.Next(-60, 14)),
        };
        return r.Next(2) == 0 ? x : Math.BitIncrement(x) * (r.Next(2) == 0 ? 1 : -1);
    }

    [Fact]
    public void FloatToIntegerAndRoundToIntegral()
    {
        var r = new Random(SeedOffset + 6433);
        var fails = new Failures();
        for (int n = 0; n < Samples * 2; n++)
        {
            double x = IntOperand(r);
            bool single = (n & 1) != 0;
            if (single)
            {
                x = (float)x;
            }

            foreach (RoundingMode rm in Modes)
            {
                var (v, exact) = RefRoundInt(x, rm);
                FloatFlags inexact = exact ? FloatFlags.None : FloatFlags.Inexact;

                double integral = v.IsZero ? (Neg(x) ? -0.0 : 0.0) : (double)v;
                double gotI = single ? IeeeFloat.RoundToIntegral((float)x, rm) : IeeeFloat.RoundToIntegral(x, rm);
                fails.Check($"RoundToIntegral({S(x)}, {rm}, single={single})", gotI, FloatFlags.None, integral, FloatFlags.None);

                FloatFlags fl = FloatFlags.None;
                gotI = single ? IeeeFloat.RoundToIntegralExact((float)x, rm, ref fl) : IeeeFloat.RoundToIntegralExact(x, rm, ref fl);
                fails.Check($"RoundToIntegralExact({S(x)}, {rm}, single={single})", gotI, fl, integral, inexact);

                void CheckInt(string name, bool ok, BigInteger got, FloatFlags fl, BigInteger min, BigInteger max)
                {
                    bool inRange = v >= min && v <= max;
                    double expect = inRange ? (double)v : 0;
                    FloatFlags ef = inRange ? inexact : FloatFlags.Invalid;
                    double gotD = ok ? (double)got : 0;
                    if (ok != inRange || got != (inRange ? v : 0))
                    {
                        gotD = double.NaN; // force a mismatch report
                    }

                    fails.Check($"{name}({S(x)}, {rm}, single={single}) ok={ok}", gotD, fl, expect, ef);
                }

                fl = FloatFlags.None;
                bool ok = single ? IeeeFloat.TryToInt32((float)x, rm, out int i32, ref fl) : IeeeFloat.TryToInt32(x, rm, out i32, ref fl);
                CheckInt("TryToInt32", ok, i32, fl, int.MinValue, int.MaxValue);

                fl = FloatFlags.None;
                ok = single ? IeeeFloat.TryToUInt32((float)x, rm, out uint u32, ref fl) : IeeeFloat.TryToUInt32(x, rm, out u32, ref fl);
                CheckInt("TryToUInt32", ok, u32, fl, uint.MinValue, uint.MaxValue);

                fl = FloatFlags.None;
                ok = single ? IeeeFloat.TryToInt64((float)x, rm, out long i64, ref fl) : IeeeFloat.TryToInt64(x, rm, out i64, ref fl);
                CheckInt("TryToInt64", ok, i64, fl, long.MinValue, long.MaxValue);

                fl = FloatFlags.None;
                ok = single ? IeeeFloat.TryToUInt64((float)x, rm, out ulong u64, ref fl) : IeeeFloat.TryToUInt64(x, rm, out u64, ref fl);
                CheckInt("TryToUInt64", ok, u64, fl, ulong.MinValue, ulong.MaxValue);
            }
        }

        fails.AssertNone();
    }

    // ================================================================================================================
    // Special values, signed zeros, NaNs and comparisons
    // ================================================================================================================

    private const double Inf = double.PositiveInfinity;
    private static readonly double QNaN = BitConverter.UInt64BitsToDouble(0x7FF8_0000_0000_0000);
    private static readonly double SNaN = BitConverter.UInt64BitsToDouble(0x7FF0_0000_0000_0001);
    private static readonly double LegacyQNaN = BitConverter.UInt64BitsToDouble(0x7FF7_FFFF_FFFF_FFFF);

    // binary32 NaNs are produced at run time: the JIT may quiet signaling NaNs it folds into float constants
    // (such as static readonly fields), which is irrelevant for guest values but would defeat these tests.
    private static float QNaNF => Bits32(0x7FC0_0000);

    private static float SNaNF => Bits32(0x7F80_0001);

    private static float LegacyQNaNF => Bits32(0x7FBF_FFFF);

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static float Bits32(uint bits) => BitConverter.UInt32BitsToSingle(bits);

    private const FloatFlags NV = FloatFlags.Invalid;
    private const FloatFlags DZ = FloatFlags.DivideByZero;
    private const FloatFlags OFX = FloatFlags.Overflow | FloatFlags.Inexact;
    private const FloatFlags None = FloatFlags.None;

    [Fact]
    public void SpecialOperands()
    {
        var fails = new Failures();
        foreach (RoundingMode rm in Modes)
        {
            void D(string what, Func<RoundingMode, FloatFlags, (double, FloatFlags)> op, double expected, FloatFlags ef)
            {
                var (got, fl) = op(rm, FloatFlags.None);
                fails.Check($"{what} {rm} (binary64)", got, fl, expected, ef);
            }

            void F(string what, Func<RoundingMode, FloatFlags, (float, FloatFlags)> op, double expected, FloatFlags ef)
            {
                var (got, fl) = op(rm, FloatFlags.None);
                fails.Check($"{what} {rm} (binary32)", got, fl, expected, ef);
            }

            double zeroSum = rm == RoundingMode.Down ? -0.0 : 0.0;
            D("inf-inf", (m, f) => (IeeeFloat.Add(Inf, -Inf, m, ref f), f), double.NaN, NV);
            D("inf+1", (m, f) => (IeeeFloat.Add(Inf, 1, m, ref f), f), Inf, None);
            D("-inf-1", (m, f) => (IeeeFloat.Sub(-Inf, 1, m, ref f), f), -Inf, None);
            D("qnan+1", (m, f) => (IeeeFloat.Add(QNaN, 1, m, ref f), f), double.NaN, None);
            D("1+snan", (m, f) => (IeeeFloat.Add(1, SNaN, m, ref f), f), double.NaN, NV);
            D("legacy qnan+1 (2008)", (m, f) => (IeeeFloat.Add(LegacyQNaN, 1, m, ref f), f), double.NaN, NV);
            D("legacy qnan+1 (legacy)", (m, f) => (IeeeFloat.Add(LegacyQNaN, 1, m, ref f, NaNConvention.LegacyMips), f), double.NaN, None);
            D("2008 qnan+1 (legacy)", (m, f) => (IeeeFloat.Add(QNaN, 1, m, ref f, NaNConvention.LegacyMips), f), double.NaN, NV);
            D("0*inf", (m, f) => (IeeeFloat.Mul(0, -Inf, m, ref f), f), double.NaN, NV);
            D("-0*5", (m, f) => (IeeeFloat.Mul(-0.0, 5, m, ref f), f), -0.0, None);
            D("inf*-2", (m, f) => (IeeeFloat.Mul(Inf, -2, m, ref f), f), -Inf, None);
            D("snan*0", (m, f) => (IeeeFloat.Mul(SNaN, 0, m, ref f), f), double.NaN, NV);
            D("1/0", (m, f) => (IeeeFloat.Div(1, 0, m, ref f), f), Inf, DZ);
            D("-1/0", (m, f) => (IeeeFloat.Div(-1, 0, m, ref f), f), -Inf, DZ);
            D("1/-0", (m, f) => (IeeeFloat.Div(1, -0.0, m, ref f), f), -Inf, DZ);
            D("0/0", (m, f) => (IeeeFloat.Div(0, 0, m, ref f), f), double.NaN, NV);
            D("inf/inf", (m, f) => (IeeeFloat.Div(Inf, -Inf, m, ref f), f), double.NaN, NV);
            D("inf/0", (m, f) => (IeeeFloat.Div(Inf, 0, m, ref f), f), Inf, None);
            D("0/inf", (m, f) => (IeeeFloat.Div(-0.0, Inf, m, ref f), f), -0.0, None);
            D("5/-inf", (m, f) => (IeeeFloat.Div(5, -Inf, m, ref f), f), -0.0, None);
            D("qnan/0", (m, f) => (IeeeFloat.Div(QNaN, 0, m, ref f), f), double.NaN, None);
            D("sqrt(-1)", (m, f) => (IeeeFloat.Sqrt(-1, m, ref f), f), double.NaN, NV);
            D("sqrt(-0)", (m, f) => (IeeeFloat.Sqrt(-0.0, m, ref f), f), -0.0, None);
            D("sqrt(-inf)", (m, f) => (IeeeFloat.Sqrt(-Inf, m, ref f), f), double.NaN, NV);
            D("sqrt(inf)", (m, f) => (IeeeFloat.Sqrt(Inf, m, ref f), f), Inf, None);
            D("sqrt(snan)", (m, f) => (IeeeFloat.Sqrt(SNaN, m, ref f), f), double.NaN, NV);
            D("sqrt(-eps)", (m, f) => (IeeeFloat.Sqrt(-double.Epsilon, m, ref f), f), double.NaN, NV);
            D("fma(0,inf,qnan)", (m, f) => (IeeeFloat.FusedMultiplyAdd(0, Inf, QNaN, m, ref f), f), double.NaN, NV);
            D("fma(inf,2,-inf)", (m, f) => (IeeeFloat.FusedMultiplyAdd(Inf, 2, -Inf, m, ref f), f), double.NaN, NV);
            D("fma(inf,2,inf)", (m, f) => (IeeeFloat.FusedMultiplyAdd(Inf, 2, Inf, m, ref f), f), Inf, None);
            D("fma(2,3,-inf)", (m, f) => (IeeeFloat.FusedMultiplyAdd(2, 3, -Inf, m, ref f), f), -Inf, None);
            D("fma(qnan,0,inf)", (m, f) => (IeeeFloat.FusedMultiplyAdd(QNaN, 0, Inf, m, ref f), f), double.NaN, None);
            D("fma(1,1,snan)", (m, f) => (IeeeFloat.FusedMultiplyAdd(1, 1, SNaN, m, ref f), f), double.NaN, NV);
            D("fma(max,max,-inf)", (m, f) => (IeeeFloat.FusedMultiplyAdd(double.MaxValue, double.MaxValue, -Inf, m, ref f), f), -Inf, None);
            D("x+(-x)", (m, f) => (IeeeFloat.Add(1.5, -1.5, m, ref f), f), zeroSum, None);
            D("x-x", (m, f) => (IeeeFloat.Sub(-7.25, -7.25, m, ref f), f), zeroSum, None);
            D("+0+-0", (m, f) => (IeeeFloat.Add(0.0, -0.0, m, ref f), f), zeroSum, None);
            D("-0+-0", (m, f) => (IeeeFloat.Add(-0.0, -0.0, m, ref f), f), -0.0, None);
            D("+0-(-0)", (m, f) => (IeeeFloat.Sub(0.0, -0.0, m, ref f), f), 0.0, None);
            D("fma(2,3,-6)", (m, f) => (IeeeFloat.FusedMultiplyAdd(2, 3, -6, m, ref f), f), zeroSum, None);
            D("fma(-0,5,-0)", (m, f) => (IeeeFloat.FusedMultiplyAdd(-0.0, 5, -0.0, m, ref f), f), -0.0, None);
            D("fma(-0,5,+0)", (m, f) => (IeeeFloat.FusedMultiplyAdd(-0.0, 5, 0.0, m, ref f), f), zeroSum, None);
            D("fma(0,5,-3)", (m, f) => (IeeeFloat.FusedMultiplyAdd(0.0, 5, -3, m, ref f), f), -3, None);
            D("fma(eps,eps,-0)", (m, f) => (IeeeFloat.FusedMultiplyAdd(double.Epsilon, -double.Epsilon, -0.0, m, ref f), f),
                rm == RoundingMode.Down ? -double.Epsilon : -0.0, FloatFlags.Inexact | FloatFlags.Underflow);

            double max = rm is RoundingMode.TowardZero or RoundingMode.Down ? double.MaxValue : Inf;
            double min = rm is RoundingMode.TowardZero or RoundingMode.Up ? -double.MaxValue : -Inf;
            D("max+max", (m, f) => (IeeeFloat.Add(double.MaxValue, double.MaxValue, m, ref f), f), max, OFX);
            D("-max-max", (m, f) => (IeeeFloat.Sub(-double.MaxValue, double.MaxValue, m, ref f), f), min, OFX);
            D("max*2", (m, f) => (IeeeFloat.Mul(double.MaxValue, 2, m, ref f), f), max, OFX);
            D("max/0.5", (m, f) => (IeeeFloat.Div(-double.MaxValue, 0.5, m, ref f), f), min, OFX);
            D("fma(max,2,-max)", (m, f) => (IeeeFloat.FusedMultiplyAdd(double.MaxValue, 2, -double.MaxValue, m, ref f), f), double.MaxValue, None);

            // 2Sum overflows internally here (a = -3*2^970, b = MaxValue); the result must still be right.
            var (e2s, f2s) = RefAdd(-3 * Math.ScaleB(1, 970), double.MaxValue, F64, rm);
            D("2sum overflow", (m, f) => (IeeeFloat.Add(-3 * Math.ScaleB(1, 970), double.MaxValue, m, ref f), f), e2s, f2s);

            float maxF = rm is RoundingMode.TowardZero or RoundingMode.Down ? float.MaxValue : float.PositiveInfinity;
            float zeroSumF = rm == RoundingMode.Down ? -0.0f : 0.0f;
            F("inf-inf", (m, f) => (IeeeFloat.Add(float.PositiveInfinity, float.NegativeInfinity, m, ref f), f), double.NaN, NV);
            F("1+snan", (m, f) => (IeeeFloat.Add(1f, SNaNF, m, ref f), f), double.NaN, NV);
            F("legacy qnan*1 (legacy)", (m, f) => (IeeeFloat.Mul(LegacyQNaNF, 1f, m, ref f, NaNConvention.LegacyMips), f), double.NaN, None);
            F("legacy qnan*1 (2008)", (m, f) => (IeeeFloat.Mul(LegacyQNaNF, 1f, m, ref f), f), double.NaN, NV);
            F("qnan*1", (m, f) => (IeeeFloat.Mul(QNaNF, 1f, m, ref f), f), double.NaN, None);
            F("0*inf", (m, f) => (IeeeFloat.Mul(0f, float.PositiveInfinity, m, ref f), f), double.NaN, NV);
            F("1/0", (m, f) => (IeeeFloat.Div(1f, 0f, m, ref f), f), double.PositiveInfinity, DZ);
            F("-1/0", (m, f) => (IeeeFloat.Div(-1f, 0f, m, ref f), f), double.NegativeInfinity, DZ);
            F("0/0", (m, f) => (IeeeFloat.Div(0f, -0f, m, ref f), f), double.NaN, NV);
            F("inf/inf", (m, f) => (IeeeFloat.Div(float.PositiveInfinity, float.PositiveInfinity, m, ref f), f), double.NaN, NV);
            F("inf/0", (m, f) => (IeeeFloat.Div(float.NegativeInfinity, 0f, m, ref f), f), double.NegativeInfinity, None);
            F("0/inf", (m, f) => (IeeeFloat.Div(0f, float.NegativeInfinity, m, ref f), f), -0.0, None);
            F("sqrt(-1)", (m, f) => (IeeeFloat.Sqrt(-1f, m, ref f), f), double.NaN, NV);
            F("sqrt(-0)", (m, f) => (IeeeFloat.Sqrt(-0f, m, ref f), f), -0.0, None);
            F("sqrt(inf)", (m, f) => (IeeeFloat.Sqrt(float.PositiveInfinity, m, ref f), f), double.PositiveInfinity, None);
            F("sqrt(qnan)", (m, f) => (IeeeFloat.Sqrt(QNaNF, m, ref f), f), double.NaN, None);
            F("fma(inf,0,qnan)", (m, f) => (IeeeFloat.FusedMultiplyAdd(float.PositiveInfinity, 0f, QNaNF, m, ref f), f), double.NaN, NV);
            F("fma(inf,1,-inf)", (m, f) => (IeeeFloat.FusedMultiplyAdd(float.PositiveInfinity, 1f, float.NegativeInfinity, m, ref f), f), double.NaN, NV);
            F("fma(-inf,1,5)", (m, f) => (IeeeFloat.FusedMultiplyAdd(float.NegativeInfinity, 1f, 5f, m, ref f), f), double.NegativeInfinity, None);
            F("fma(2,3,-6)", (m, f) => (IeeeFloat.FusedMultiplyAdd(2f, 3f, -6f, m, ref f), f), zeroSumF, None);
            F("fma(-0,1,-0)", (m, f) => (IeeeFloat.FusedMultiplyAdd(-0f, 1f, -0f, m, ref f), f), -0.0, None);
            F("x-x", (m, f) => (IeeeFloat.Sub(3.5f, 3.5f, m, ref f), f), zeroSumF, None);
            F("-0+-0", (m, f) => (IeeeFloat.Add(-0f, -0f, m, ref f), f), -0.0, None);
            F("max+max", (m, f) => (IeeeFloat.Add(float.MaxValue, float.MaxValue, m, ref f), f), maxF, OFX);
            F("max*2", (m, f) => (IeeeFloat.Mul(float.MaxValue, 2f, m, ref f), f), maxF, OFX);
            F("max/0.5", (m, f) => (IeeeFloat.Div(float.MaxValue, 0.5f, m, ref f), f), maxF, OFX);
            F("fma(max,2,0)", (m, f) => (IeeeFloat.FusedMultiplyAdd(float.MaxValue, 2f, 0f, m, ref f), f), maxF, OFX);
            F("ToSingle(dmax)", (m, f) => (IeeeFloat.ToSingle(double.MaxValue, m, ref f), f), maxF, OFX);
            F("ToSingle(snan)", (m, f) => (IeeeFloat.ToSingle(SNaN, m, ref f), f), double.NaN, NV);
            F("ToSingle(qnan)", (m, f) => (IeeeFloat.ToSingle(QNaN, m, ref f), f), double.NaN, None);
            F("ToSingle(-inf)", (m, f) => (IeeeFloat.ToSingle(-Inf, m, ref f), f), double.NegativeInfinity, None);

            var (e2sf, f2sf) = RefAdd(-3 * MathF.ScaleB(1, 103), float.MaxValue, F32, rm);
            F("2sum overflow", (m, f) => (IeeeFloat.Add(-3 * MathF.ScaleB(1, 103), float.MaxValue, m, ref f), f), e2sf, f2sf);
        }

        FloatFlags fl = FloatFlags.None;
        fails.Check("ToDouble(snan)", IeeeFloat.ToDouble(SNaNF, ref fl), fl, double.NaN, NV);
        fl = FloatFlags.None;
        fails.Check("ToDouble(legacy snan, legacy)", IeeeFloat.ToDouble(QNaNF, ref fl, NaNConvention.LegacyMips), fl, double.NaN, NV);
        fl = FloatFlags.None;
        fails.Check("ToDouble(1.5)", IeeeFloat.ToDouble(1.5f, ref fl), fl, 1.5, None);
        fl = FloatFlags.None;
        fails.Check("RoundToIntegralExact(snan)", IeeeFloat.RoundToIntegralExact(SNaN, RoundingMode.Up, ref fl), fl, double.NaN, NV);
        fl = FloatFlags.None;
        fails.Check("TryToInt32(nan)", IeeeFloat.TryToInt32(QNaN, RoundingMode.TowardZero, out _, ref fl) ? 1 : 0, fl, 0, NV);
        fl = FloatFlags.None;
        fails.Check("TryToUInt64(-inf)", IeeeFloat.TryToUInt64(float.NegativeInfinity, RoundingMode.TowardZero, out _, ref fl) ? 1 : 0, fl, 0, NV);

        // Flags accumulate and are never cleared.
        fl = FloatFlags.Invalid | FloatFlags.DivideByZero;
        fails.Check("sticky flags", IeeeFloat.Add(1.0, Math.ScaleB(1, -60), RoundingMode.Up, ref fl), fl, Math.BitIncrement(1.0), NV | DZ | FloatFlags.Inexact);
        fails.AssertNone();
    }

    [Fact]
    public void NaNConventions()
    {
        Assert.True(IeeeFloat.IsSignalingNaN(SNaN));
        Assert.False(IeeeFloat.IsSignalingNaN(QNaN));
        Assert.True(IeeeFloat.IsSignalingNaN(LegacyQNaN));
        Assert.False(IeeeFloat.IsSignalingNaN(Inf));
        Assert.False(IeeeFloat.IsSignalingNaN(1.0));
        Assert.True(IeeeFloat.IsSignalingNaNLegacyMips(QNaN));
        Assert.False(IeeeFloat.IsSignalingNaNLegacyMips(LegacyQNaN));
        Assert.False(IeeeFloat.IsSignalingNaNLegacyMips(Inf));
        Assert.True(IeeeFloat.IsSignalingNaN(SNaNF));
        Assert.False(IeeeFloat.IsSignalingNaN(QNaNF));
        Assert.False(IeeeFloat.IsSignalingNaN(float.NegativeInfinity));
        Assert.True(IeeeFloat.IsSignalingNaNLegacyMips(QNaNF));
        Assert.False(IeeeFloat.IsSignalingNaNLegacyMips(LegacyQNaNF));
        Assert.True(IeeeFloat.IsSignalingNaN(LegacyQNaNF, NaNConvention.Ieee2008));
        Assert.False(IeeeFloat.IsSignalingNaN(LegacyQNaNF, NaNConvention.LegacyMips));
        Assert.True(IeeeFloat.IsSignalingNaN(-QNaN, NaNConvention.LegacyMips));
    }

    private static FloatRelation Expected(double a, double b)
        => double.IsNaN(a) || double.IsNaN(b) ? FloatRelation.Unordered : a < b ? FloatRelation.Less : a > b ? FloatRelation.Greater : FloatRelation.Equal;

    [Fact]
    public void Comparisons()
    {
        double[] values = [-Inf, -1, -double.Epsilon, -0.0, 0.0, double.Epsilon, 1, Inf, QNaN, SNaN, LegacyQNaN];
        foreach (double a in values)
        {
            foreach (double b in values)
            {
                bool unordered = double.IsNaN(a) || double.IsNaN(b);
                FloatRelation expected = Expected(a, b);
                foreach (NaNConvention conv in new[] { NaNConvention.Ieee2008, NaNConvention.LegacyMips })
                {
                    bool signaling = IeeeFloat.IsSignalingNaN(a, conv) || IeeeFloat.IsSignalingNaN(b, conv);

                    FloatFlags fl = FloatFlags.None;
                    Assert.Equal(expected, IeeeFloat.CompareQuiet(a, b, ref fl, conv));
                    Assert.Equal(signaling ? NV : None, fl);

                    fl = FloatFlags.None;
                    Assert.Equal(Expected((float)a, (float)b), IeeeFloat.CompareQuiet((float)a, (float)b, ref fl, conv));
                    Assert.Equal(IeeeFloat.IsSignalingNaN((float)a, conv) || IeeeFloat.IsSignalingNaN((float)b, conv) ? NV : None, fl);

                    fl = FloatFlags.None;
                    Assert.Equal(expected == FloatRelation.Equal, IeeeFloat.EqualQuiet(a, b, ref fl, conv));
                    Assert.Equal(signaling ? NV : None, fl);
                }

                FloatFlags sf = FloatFlags.None;
                Assert.Equal(expected, IeeeFloat.CompareSignaling(a, b, ref sf));
                Assert.Equal(unordered ? NV : None, sf);
                sf = FloatFlags.None;
                Assert.Equal(Expected((float)a, (float)b), IeeeFloat.CompareSignaling((float)a, (float)b, ref sf));
                Assert.Equal(unordered ? NV : None, sf);
                sf = FloatFlags.None;
                Assert.Equal(expected == FloatRelation.Less, IeeeFloat.LessThanSignaling(a, b, ref sf));
                Assert.Equal(Expected((float)a, (float)b) is FloatRelation.Less or FloatRelation.Equal, IeeeFloat.LessOrEqualSignaling((float)a, (float)b, ref sf));
                Assert.Equal(unordered ? NV : None, sf);
            }
        }
    }

    [Fact]
    public void DoesNotAllocate()
    {
        var r = new Random(SeedOffset + 77);
        double[] x = new double[256];
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = i % 17 == 0 ? double.NaN : Rand(r, (i & 1) != 0);
        }

        double Run()
        {
            double sum = 0;
            FloatFlags fl = FloatFlags.None;
            for (int i = 0; i + 2 < x.Length; i++)
            {
                foreach (RoundingMode rm in Modes)
                {
                    double a = x[i], b = x[i + 1], c = x[i + 2];
                    sum += IeeeFloat.Add(a, b, rm, ref fl) + IeeeFloat.Mul(a, b, rm, ref fl) + IeeeFloat.Div(a, b, rm, ref fl)
                        + IeeeFloat.Sqrt(a, rm, ref fl) + IeeeFloat.FusedMultiplyAdd(a, b, c, rm, ref fl) + IeeeFloat.ToSingle(a, rm, ref fl);
                    float fa = (float)a, fb = (float)b, fc = (float)c;
                    sum += IeeeFloat.Add(fa, fb, rm, ref fl) + IeeeFloat.Mul(fa, fb, rm, ref fl) + IeeeFloat.Div(fa, fb, rm, ref fl)
                        + IeeeFloat.Sqrt(fa, rm, ref fl) + IeeeFloat.FusedMultiplyAdd(fa, fb, fc, rm, ref fl);
                    sum += IeeeFloat.TryToInt64(a, rm, out long l, ref fl) ? l : 0;
                    sum += IeeeFloat.Int64ToDouble((long)BitConverter.DoubleToInt64Bits(a), rm, ref fl);
                    sum += IeeeFloat.UInt64ToSingle((ulong)BitConverter.DoubleToInt64Bits(b), rm, ref fl);
                }
            }

            return sum;
        }

        Run();
        long before = GC.GetAllocatedBytesForCurrentThread();
        Run();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void EnumValuesMatchGuestEncodings()
    {
        // RISC-V fflags: NX=1, UF=2, OF=4, DZ=8, NV=16; MIPS FCSR flag field order I, U, O, Z, V.
        Assert.Equal(1u, (uint)FloatFlags.Inexact);
        Assert.Equal(2u, (uint)FloatFlags.Underflow);
        Assert.Equal(4u, (uint)FloatFlags.Overflow);
        Assert.Equal(8u, (uint)FloatFlags.DivideByZero);
        Assert.Equal(16u, (uint)FloatFlags.Invalid);
        Assert.Equal(0, (int)RoundingMode.NearestEven);
        Assert.Equal(1, (int)RoundingMode.TowardZero);
        Assert.Equal(2, (int)RoundingMode.Up);
        Assert.Equal(3, (int)RoundingMode.Down);
        Assert.Equal(4, (int)RoundingMode.NearestMaxMagnitude);
    }
}
