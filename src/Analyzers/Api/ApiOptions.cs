using System;
using System.Collections.Concurrent;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace ComImpersonation.Analyzers.Api
{
    /// <summary>
    /// The <c>.editorconfig</c> / <c>.globalconfig</c> options of SPEC §5: methods the analysis cannot see into that
    /// the user declares to impersonate, revert or signal, named <c>Namespace.Type.Method</c>.
    /// </summary>
    internal sealed class ApiOptions
    {
        public const string AdditionalImpersonateMethodsKey = "comimp.additional_impersonate_methods";
        public const string AdditionalRevertMethodsKey = "comimp.additional_revert_methods";
        public const string AdditionalSignalMethodsKey = "comimp.additional_signal_methods";
        public const string InterproceduralDepthKey = "comimp.interprocedural_depth";

        public const int DefaultInterproceduralDepth = 3;

        private static readonly ConcurrentDictionary<string, ApiOptions> Interned =
            new ConcurrentDictionary<string, ApiOptions>(StringComparer.Ordinal);

        private static readonly ConcurrentDictionary<string, ImmutableHashSet<string>> ParsedLists =
            new ConcurrentDictionary<string, ImmutableHashSet<string>>(StringComparer.Ordinal);

        public static readonly ApiOptions Default = new ApiOptions(
            ImmutableHashSet<string>.Empty, ImmutableHashSet<string>.Empty, ImmutableHashSet<string>.Empty, DefaultInterproceduralDepth);

        private ApiOptions(ImmutableHashSet<string> impersonate, ImmutableHashSet<string> revert, ImmutableHashSet<string> signal, int depth)
        {
            Impersonate = impersonate;
            Revert = revert;
            Signal = signal;
            InterproceduralDepth = depth;
        }

        public ImmutableHashSet<string> Impersonate { get; }

        public ImmutableHashSet<string> Revert { get; }

        public ImmutableHashSet<string> Signal { get; }

        public int InterproceduralDepth { get; }

        public bool HasAdditionalMethods => !Impersonate.IsEmpty || !Revert.IsEmpty || !Signal.IsEmpty;

        public static ApiOptions Read(AnalyzerConfigOptions options)
        {
            ImmutableHashSet<string> impersonate = List(options, AdditionalImpersonateMethodsKey);
            ImmutableHashSet<string> revert = List(options, AdditionalRevertMethodsKey);
            ImmutableHashSet<string> signal = List(options, AdditionalSignalMethodsKey);
            int depth = DefaultInterproceduralDepth;
            if (options.TryGetValue(InterproceduralDepthKey, out string? text)
                && int.TryParse(text.Trim(), out int parsed)
                && parsed >= 0)
            {
                depth = Math.Min(parsed, 10);
            }

            if (impersonate.IsEmpty && revert.IsEmpty && signal.IsEmpty && depth == DefaultInterproceduralDepth)
            {
                return Default;
            }

            // One instance per distinct configuration, so summaries cached per options are shared across code blocks.
            string key = string.Join("\u0001", string.Join(",", impersonate), string.Join(",", revert), string.Join(",", signal), depth.ToString(System.Globalization.CultureInfo.InvariantCulture));
            return Interned.GetOrAdd(key, _ => new ApiOptions(impersonate, revert, signal, depth));
        }

        /// <summary>The operation the options give <paramref name="fullName"/> (<c>Namespace.Type.Method</c>), if any.</summary>
        public ApiOperation OperationOf(string fullName)
        {
            if (Impersonate.Contains(fullName))
            {
                return ApiOperation.Impersonate;
            }

            if (Revert.Contains(fullName))
            {
                return ApiOperation.Revert;
            }

            return Signal.Contains(fullName) ? ApiOperation.Signal : ApiOperation.None;
        }

        /// <summary>The simple method names the options add, for the syntactic pre-check.</summary>
        public bool NamesMethod(string simpleName)
        {
            foreach (ImmutableHashSet<string> list in new[] { Impersonate, Revert, Signal })
            {
                foreach (string fullName in list)
                {
                    if (fullName.EndsWith(simpleName, StringComparison.Ordinal)
                        && (fullName.Length == simpleName.Length || fullName[fullName.Length - simpleName.Length - 1] == '.'))
                    {
                        return true;
                    }
                }
            }

            return false;
        }

        private static ImmutableHashSet<string> List(AnalyzerConfigOptions options, string key)
        {
            if (!options.TryGetValue(key, out string? value) || string.IsNullOrWhiteSpace(value))
            {
                return ImmutableHashSet<string>.Empty;
            }

            return ParsedLists.GetOrAdd(value, static text =>
            {
                var builder = ImmutableHashSet.CreateBuilder<string>(StringComparer.Ordinal);
                foreach (string part in text.Split(new[] { ',', ';' }, StringSplitOptions.RemoveEmptyEntries))
                {
                    string name = part.Trim();
                    if (name.StartsWith("global::", StringComparison.Ordinal))
                    {
                        name = name.Substring("global::".Length);
                    }

                    if (name.Length > 0)
                    {
                        builder.Add(name);
                    }
                }

                return builder.ToImmutable();
            });
        }
    }
}
