using System;
using System.Collections.Concurrent;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.Loader;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace ComImpersonation.Analyzers.Tests.Infrastructure
{
    /// <summary>
    /// Analyzers of the Microsoft.CodeAnalysis.NetAnalyzers package the test project restores (and does not run on
    /// itself), loaded from its analyzers/dotnet/cs assemblies, as an IDE or the SDK would run them on user code.
    /// </summary>
    internal static class NetAnalyzers
    {
        private static readonly Lazy<string> LazyDirectory = new Lazy<string>(Find);

        private static readonly ConcurrentDictionary<string, Lazy<DiagnosticAnalyzer>> Loaded = new ConcurrentDictionary<string, Lazy<DiagnosticAnalyzer>>(StringComparer.Ordinal);

        /// <summary>The analyzer that reports <paramref name="id"/> (CA1806: a method's result is ignored), loaded once.</summary>
        public static DiagnosticAnalyzer Get(string id) => Loaded.GetOrAdd(id, key => new Lazy<DiagnosticAnalyzer>(() => Load(key))).Value;

        private static DiagnosticAnalyzer Load(string id)
        {
            string directory = LazyDirectory.Value;
            var loader = new Loader();
            foreach (string file in Directory.GetFiles(directory, "*.dll").OrderBy(f => f, StringComparer.Ordinal))
            {
                var reference = new AnalyzerFileReference(file, loader);
                foreach (DiagnosticAnalyzer analyzer in reference.GetAnalyzers(LanguageNames.CSharp))
                {
                    if (analyzer.SupportedDiagnostics.Any(d => d.Id == id))
                    {
                        return analyzer;
                    }
                }
            }

            throw new InvalidOperationException(id + " was not found in " + directory);
        }

        private static string Find()
        {
            string package = typeof(NetAnalyzers).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
                .Single(attribute => attribute.Key == "NetAnalyzersPackagePath").Value!;
            string directory = Path.Combine(package, "analyzers", "dotnet", "cs");
            if (!Directory.Exists(directory))
            {
                throw new InvalidOperationException("Microsoft.CodeAnalysis.NetAnalyzers is not restored at " + package);
            }

            // The analyzers' own dependencies (their Utilities assembly) load from the same folder.
            AssemblyLoadContext.Default.Resolving += (context, name) =>
            {
                string candidate = Path.Combine(directory, name.Name + ".dll");
                return File.Exists(candidate) ? context.LoadFromAssemblyPath(candidate) : null;
            };
            return directory;
        }

        private sealed class Loader : IAnalyzerAssemblyLoader
        {
            public void AddDependencyLocation(string fullPath)
            {
            }

            public Assembly LoadFromPath(string fullPath) => AssemblyLoadContext.Default.LoadFromAssemblyPath(fullPath);
        }
    }
}
