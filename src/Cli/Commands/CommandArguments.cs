using System.Globalization;

namespace Isa.Cli.Commands;

/// <summary>
/// The arguments of one command, split into positionals and <c>--name value</c> /
/// <c>--name=value</c> options. Each command declares which options it takes, so a typo is an
/// error instead of a silently ignored word; <c>--</c> ends the options.
/// </summary>
public sealed class CommandArguments
{
    private readonly List<string> _positionals = [];
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);
    private readonly HashSet<string> _flags = new(StringComparer.Ordinal);

    private CommandArguments()
    {
    }

    public IReadOnlyList<string> Positionals => _positionals;

    /// <summary>Parses <paramref name="args"/> for a command taking the given options (each spelled with its leading <c>--</c>).</summary>
    /// <exception cref="CommandException">An unknown or repeated option, or a value option without its value.</exception>
    /// <param name="optionsEndAtPositional">Stop reading options at the first positional (the rest belongs to a guest program).</param>
    public static CommandArguments Parse(IReadOnlyList<string> args, IReadOnlyCollection<string> valueOptions, IReadOnlyCollection<string> flagOptions, bool optionsEndAtPositional = false)
    {
        var parsed = new CommandArguments();
        bool optionsEnded = false;
        for (int i = 0; i < args.Count; i++)
        {
            string arg = args[i];
            if (optionsEnded || arg.Length < 2 || arg[0] != '-')
            {
                parsed._positionals.Add(arg);
                optionsEnded |= optionsEndAtPositional;
                continue;
            }

            if (arg == "--")
            {
                optionsEnded = true;
                continue;
            }

            int equals = arg.IndexOf('=', StringComparison.Ordinal);
            string name = equals < 0 ? arg : arg[..equals];
            if (name is "-h")
            {
                name = "--help";
            }

            if (flagOptions.Contains(name) || name == "--help")
            {
                if (equals >= 0)
                {
                    throw new CommandException($"option {name} takes no value");
                }

                parsed._flags.Add(name);
            }
            else if (valueOptions.Contains(name))
            {
                string value;
                if (equals >= 0)
                {
                    value = arg[(equals + 1)..];
                }
                else if (i + 1 < args.Count)
                {
                    value = args[++i];
                }
                else
                {
                    throw new CommandException($"option {name} needs a value");
                }

                if (!parsed._values.TryAdd(name, value))
                {
                    throw new CommandException($"option {name} given twice");
                }
            }
            else
            {
                throw new CommandException($"unknown option {name}");
            }
        }

        return parsed;
    }

    public bool Flag(string name) => _flags.Contains(name);

    public string? Value(string name) => _values.GetValueOrDefault(name);

    /// <summary>The one positional argument the command needs, named <paramref name="what"/> in the error.</summary>
    public string SinglePositional(string what)
    {
        return _positionals.Count switch
        {
            1 => _positionals[0],
            0 => throw new CommandException($"missing {what}"),
            _ => throw new CommandException($"expected one {what}, got {_positionals.Count} arguments ({string.Join(' ', _positionals.Take(3))}{(_positionals.Count > 3 ? " ..." : "")})"),
        };
    }

    /// <summary>An integer option in [<paramref name="minimum"/>, <paramref name="maximum"/>], or <paramref name="fallback"/> when absent.</summary>
    public int Int32(string name, int fallback, int minimum, int maximum = int.MaxValue)
    {
        string? text = Value(name);
        if (text is null)
        {
            return fallback;
        }

        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int value) || value < minimum || value > maximum)
        {
            throw new CommandException($"option {name}: '{text}' is not a whole number from {minimum} to {maximum}");
        }

        return value;
    }

    /// <summary>An address option, hexadecimal with <c>0x</c> or decimal, or null when absent.</summary>
    public ulong? Address(string name)
    {
        string? text = Value(name);
        if (text is null)
        {
            return null;
        }

        bool hex = text.StartsWith("0x", StringComparison.OrdinalIgnoreCase);
        bool ok = hex
            ? ulong.TryParse(text.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong value)
            : ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
        return ok ? value : throw new CommandException($"option {name}: '{text}' is not an address (write 0x400000 or 4194304)");
    }
}
