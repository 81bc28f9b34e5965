using Isa.Runtime.Cpu;

namespace Isa.Backends.Jit;

/// <summary>
/// Picks the guest registers an engine keeps resident in host registers across blocks
/// (<see cref="X64.X64Emitter.Home.Resident"/>) from how the guest runs: until the choice, each block
/// counts its runs in a counter of its own, and a register's score is its uses in each block (the
/// translator's dry run) times that block's runs. Static counts alone would favour code that is long
/// rather than code that is hot (start-up code against a small inner loop).
/// </summary>
internal sealed unsafe class ResidentProfile(nint counters)
{
    /// <summary>Blocks that get a counter; later ones run uncounted (the hot code is translated early).</summary>
    public const int Counters = 16384;

    /// <summary>Bytes of zeroed memory the counters take, where the generated code can write them (the execution host's).</summary>
    public const int CounterBytes = Counters * sizeof(long);

    private readonly long* _counters = (long*)counters;
    private readonly List<(int Counter, int Offset, int Uses)> _uses = [];
    private int _assigned;
    private long _executed;

    /// <summary>The counter the next block translated increments at each run, or 0 when none is left.</summary>
    public nint NextCounter => _assigned < Counters ? (nint)(_counters + _assigned) : 0;

    /// <summary>The block given <see cref="NextCounter"/> was placed, with these register uses (state offset, uses).</summary>
    public void Placed(Dictionary<int, int> uses)
    {
        if (_assigned >= Counters)
        {
            return;
        }

        foreach ((int offset, int count) in uses)
        {
            _uses.Add((_assigned, offset, count));
        }

        _assigned++;
    }

    /// <summary>Counts guest instructions run in JIT code; true once <paramref name="due"/> have run.</summary>
    public bool Ran(long instructions, long due) => Interlocked.Add(ref _executed, instructions) >= due;

    /// <summary>
    /// Up to <paramref name="count"/> registers, the highest score first, of those that can live in
    /// a host register and were used by a block that ran.
    /// </summary>
    public (int File, int Index)[] Choose(GuestIsa isa, int count)
    {
        var scores = new Dictionary<int, long>();
        foreach ((int counter, int offset, int uses) in _uses)
        {
            long runs = _counters[counter];
            if (runs > 0)
            {
                scores[offset] = scores.GetValueOrDefault(offset) + (runs * uses);
            }
        }

        var chosen = new List<(int File, int Index)>();
        foreach ((int offset, long _) in scores.OrderByDescending(s => s.Value).ThenBy(s => s.Key))
        {
            if (chosen.Count < count && isa.RegisterAt(offset) is { } register && X64.X64Emitter.CanBeResident(isa, register.File, register.Index))
            {
                chosen.Add(register);
            }
        }

        return [.. chosen];
    }
}
