using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace ComImpersonation.Analyzers.Api
{
    /// <summary>What a call turned out to be: the operation, how it reports failure, and a name for messages.</summary>
    internal readonly struct ApiCall
    {
        public static readonly ApiCall None = default;

        public ApiCall(ApiOperation operation, ResultShape shape, string displayName, ApiFamily family = ApiFamily.Configured, ImpersonationKind kind = ImpersonationKind.ComCallContext, ArgumentRule argumentRule = ArgumentRule.None)
        {
            Operation = operation;
            Shape = shape;
            DisplayName = displayName;
            Family = family;
            Kind = kind;
            ArgumentRule = argumentRule;
        }

        public ApiOperation Operation { get; }

        public ResultShape Shape { get; }

        public string DisplayName { get; }

        public ApiFamily Family { get; }

        /// <summary>For an impersonation: what it needs from the thread, which decides the rules that apply.</summary>
        public ImpersonationKind Kind { get; }

        /// <summary>An argument that refines the call (applied by <see cref="ApiModel.Classify(IInvocationOperation, ApiOptions)"/>).</summary>
        public ArgumentRule ArgumentRule { get; }

        public bool IsRecognized => Operation != ApiOperation.None;

        /// <summary>Only an impersonation of the COM call context is completed by Signal (COMIMP001, 003, 005).</summary>
        public bool IsComCallContext => Kind == ImpersonationKind.ComCallContext;

        /// <summary>A call context, COM or RPC, exists only on the thread that dispatches the call (COMIMP006 a, b).</summary>
        public bool NeedsDispatchThread => Kind >= ImpersonationKind.DispatchThread;

        public ApiCall With(ApiOperation operation, ImpersonationKind kind) =>
            new ApiCall(operation, Shape, DisplayName, Family, kind, ArgumentRule.None);
    }

    /// <summary>
    /// <see cref="ApiTable"/> applied to one compilation: classifies invoked methods (cached per symbol, thread-safe)
    /// and knows the names a method body must mention for it to be worth analysing.
    /// </summary>
    internal sealed class ApiModel
    {
        private const string GuidAttributeName = "System.Runtime.InteropServices.GuidAttribute";
        private const string LibraryImportAttributeName = "System.Runtime.InteropServices.LibraryImportAttribute";

        private static readonly SymbolDisplayFormat FullNameFormat = new SymbolDisplayFormat(
            typeQualificationStyle: SymbolDisplayTypeQualificationStyle.NameAndContainingTypesAndNamespaces);

        private readonly ConcurrentDictionary<IMethodSymbol, ApiCall> _cache =
            new ConcurrentDictionary<IMethodSymbol, ApiCall>(SymbolEqualityComparer.Default);

        private readonly ConcurrentDictionary<IMethodSymbol, string> _fullNames =
            new ConcurrentDictionary<IMethodSymbol, string>(SymbolEqualityComparer.Default);

        private ApiModel(ImmutableHashSet<string> candidateNames)
        {
            CandidateNames = candidateNames;
        }

        /// <summary>
        /// The simple names a call must have to possibly be recognised: the COM method names and entry points of the
        /// table, and the names of source P/Invokes that rename a recognised entry point. A body that calls none of
        /// them is never given an operation tree or a control-flow graph.
        /// </summary>
        public ImmutableHashSet<string> CandidateNames { get; }

        /// <summary>
        /// The compilation-start gate: returns null (and the analyzer registers nothing) when the compilation can
        /// contain no recognised call. Cheap: declaration-table name look-ups, referenced assemblies' type-name
        /// lists, and a plain text search for the native entry points (to find renamed P/Invokes).
        /// </summary>
        public static ApiModel? TryCreate(Compilation compilation, AnalyzerConfigOptionsProvider optionsProvider, CancellationToken cancellationToken)
        {
            var declarableNames = new HashSet<string>(StringComparer.Ordinal);
            var entryPoints = new List<string>();
            var interfaceNames = new HashSet<string>(StringComparer.Ordinal);
            var candidates = ImmutableHashSet.CreateBuilder<string>(StringComparer.Ordinal);
            foreach (ApiForm form in ApiTable.Forms)
            {
                switch (form.Kind)
                {
                    case ApiFormKind.NativeFunction:
                        entryPoints.Add(form.Name);
                        declarableNames.Add(form.Name);
                        candidates.Add(form.Name);
                        break;
                    case ApiFormKind.ComMethod:
                        declarableNames.Add(form.Name);
                        candidates.Add(form.Name);
                        foreach (string fullName in form.ComInterface!.KnownFullNames)
                        {
                            interfaceNames.Add(fullName.Substring(fullName.LastIndexOf('.') + 1));
                        }

                        break;
                    case ApiFormKind.ManagedMethod when form.Operation == ApiOperation.Impersonate:
                        // Not Undo / Dispose: a body that only reverts has nothing to report, and every body disposes.
                        // Only when the compilation can call it: WindowsIdentity.Impersonate is .NET Framework's, and a
                        // project whose references have no such method may well call its own methods Impersonate.
                        if (Declares(compilation, form.TypeName!, form.Name))
                        {
                            candidates.Add(form.Name);
                        }

                        break;
                }
            }

            foreach (ImpersonatedRunner runner in ApiTable.ImpersonatedRunners)
            {
                if (Declares(compilation, runner.TypeName, runner.MethodName))
                {
                    candidates.Add(runner.MethodName);
                }
            }

            bool present = compilation.ContainsSymbolsWithName(name => declarableNames.Contains(name), SymbolFilter.Member, cancellationToken);

            if (!present)
            {
                foreach (MetadataReference reference in compilation.References)
                {
                    if (compilation.GetAssemblyOrModuleSymbol(reference) is IAssemblySymbol assembly
                        && ReferencesRecognisedTypes(assembly, interfaceNames))
                    {
                        present = true;
                        break;
                    }
                }
            }

            // Methods the user names in .editorconfig / .globalconfig count as recognised calls.
            if (!present && ApiOptions.Read(optionsProvider.GlobalOptions).HasAdditionalMethods)
            {
                present = true;
            }

            // Every call of a native or .NET form, and every P/Invoke declaration (renamed or not), contains one of
            // the gate words: [DllImport("advapi32", EntryPoint = "ImpersonateLoggedOnUser")] static extern bool Become(IntPtr t);
            foreach (SyntaxTree tree in compilation.SyntaxTrees)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (MentionsAny(tree, ApiTable.GateWords, cancellationToken))
                {
                    present = true;
                    CollectRenamedImports(tree, entryPoints, candidates, cancellationToken);
                }

                if (!present && ApiOptions.Read(optionsProvider.GetOptions(tree)).HasAdditionalMethods)
                {
                    present = true;
                }
            }

            return present ? new ApiModel(candidates.ToImmutable()) : null;
        }

        /// <summary>
        /// Does a type of this full name, in source or in a referenced assembly, declare a member of this name? A call
        /// is classified as a .NET form only when the method it calls is declared on the form's type (by full name).
        /// </summary>
        private static bool Declares(Compilation compilation, string typeFullName, string memberName)
        {
            foreach (INamedTypeSymbol type in compilation.GetTypesByMetadataName(typeFullName))
            {
                if (!type.GetMembers(memberName).IsEmpty)
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>Classifies a called method by the table. Never matches by name alone.</summary>
        public ApiCall Classify(IMethodSymbol method)
        {
            return _cache.GetOrAdd(method.OriginalDefinition, static m => ClassifyUncached(m));
        }

        /// <summary>Classifies a called method by the table, then by the methods the options name.</summary>
        public ApiCall Classify(IMethodSymbol method, ApiOptions options)
        {
            ApiCall call = Classify(method);
            if (call.IsRecognized || !options.HasAdditionalMethods || method.ContainingType is null)
            {
                return call;
            }

            IMethodSymbol definition = method.OriginalDefinition;
            string fullName = _fullNames.GetOrAdd(definition, static m => m.ContainingType.ToDisplayString(FullNameFormat) + "." + m.Name);
            ApiOperation operation = options.OperationOf(fullName);
            return operation == ApiOperation.None
                ? ApiCall.None
                : new ApiCall(operation, ShapeOf(definition.ReturnType), definition.ContainingType.Name + "." + definition.Name);
        }

        /// <summary>
        /// Classifies a call: its method by the table and the options, then what its arguments say
        /// (<c>SetThreadToken(…, null)</c> reverts; <c>RpcImpersonateClient(null)</c> needs the dispatching thread).
        /// An interface call on a receiver whose class is known is classified by the implementation: the
        /// <c>Dispose</c> a <c>using</c> makes on a <c>WindowsImpersonationContext</c> reverts. The semantic model is the
        /// call's tree's (operations in a control-flow graph carry none).
        /// </summary>
        public ApiCall Classify(IInvocationOperation invocation, ApiOptions options, SemanticModel semanticModel)
        {
            IMethodSymbol target = invocation.TargetMethod;
            ApiCall call = Classify(target, options);
            if (!call.IsRecognized)
            {
                IMethodSymbol implementation = OperationValues.ImplementationOnReceiver(target, invocation.Instance);
                return SymbolEqualityComparer.Default.Equals(implementation, target) ? call : Classify(implementation, options);
            }

            switch (call.ArgumentRule)
            {
                case ArgumentRule.NoTokenReverts:
                    return ArgumentFor(invocation, 1) is { } token && (IsNoHandle(token) || IsSavedThreadToken(token, invocation, semanticModel))
                        ? call.With(ApiOperation.Revert, call.Kind)
                        : call;
                case ArgumentRule.NoBindingNeedsDispatchThread:
                    return ArgumentFor(invocation, 0) is { } binding && IsNoHandle(binding)
                        ? call.With(call.Operation, ImpersonationKind.DispatchThread)
                        : call;
                default:
                    return call;
            }
        }

        /// <summary>
        /// <c>SetThreadToken(…, saved)</c> where the method saved <c>saved</c> with <c>OpenThreadToken(…, out saved)</c>
        /// restores the thread's token from before the method's impersonation: a revert of it, not a new one.
        /// </summary>
        private static bool IsSavedThreadToken(IOperation token, IInvocationOperation setThreadToken, SemanticModel semanticModel)
        {
            if (OperationValues.WithoutConversions(token) is not ILocalReferenceOperation { Local: var local }
                || setThreadToken.Syntax.SyntaxTree != semanticModel.SyntaxTree
                || setThreadToken.Syntax.FirstAncestorOrSelf<MemberDeclarationSyntax>() is not { } member)
            {
                return false;
            }

            foreach (SyntaxNode node in member.DescendantNodes())
            {
                // Any name: a renamed P/Invoke of OpenThreadToken saves the token as well.
                if (node is InvocationExpressionSyntax { ArgumentList: var arguments } call
                    && SavesInto(arguments, local, semanticModel)
                    && semanticModel.GetSymbolInfo(call).Symbol is IMethodSymbol method
                    && TryGetNativeImport(method, out string? entryPoint, out string? library)
                    && entryPoint == ApiTable.OpenThreadTokenEntryPoint
                    && ApiTable.SecurityLibraries.Matches(library))
                {
                    return true;
                }
            }

            return false;
        }

        private static bool SavesInto(ArgumentListSyntax arguments, ILocalSymbol local, SemanticModel semanticModel)
        {
            foreach (ArgumentSyntax argument in arguments.Arguments)
            {
                if (!argument.RefKindKeyword.IsKind(SyntaxKind.None)
                    && argument.Expression switch
                    {
                        DeclarationExpressionSyntax { Designation: SingleVariableDesignationSyntax designation } => semanticModel.GetDeclaredSymbol(designation),
                        var expression => semanticModel.GetSymbolInfo(expression).Symbol,
                    } is ILocalSymbol saved
                    && SymbolEqualityComparer.Default.Equals(saved, local))
                {
                    return true;
                }
            }

            return false;
        }

        private static IOperation? ArgumentFor(IInvocationOperation invocation, int ordinal)
        {
            foreach (IArgumentOperation argument in invocation.Arguments)
            {
                if (argument.Parameter?.Ordinal == ordinal)
                {
                    return argument.Value;
                }
            }

            return null;
        }

        /// <summary>
        /// A null handle: <c>null</c>, <c>0</c>, <c>default</c>, <c>IntPtr.Zero</c>, <c>HANDLE.Null</c> (CsWin32),
        /// <c>HTOKEN.NULL</c> (Vanara), <c>new HANDLE()</c>, <c>new IntPtr(0)</c>.
        /// </summary>
        private static bool IsNoHandle(IOperation value)
        {
            value = OperationValues.WithoutConversions(value);
            if (value.ConstantValue.HasValue)
            {
                return value.ConstantValue.Value switch
                {
                    null => true,
                    int i => i == 0,
                    long l => l == 0,
                    uint u => u == 0,
                    ulong ul => ul == 0,
                    _ => false,
                };
            }

            return value switch
            {
                IDefaultValueOperation => true,
                IFieldReferenceOperation { Field: { IsStatic: true, Name: "Zero" or "Null" or "NULL" } } => true,
                IPropertyReferenceOperation { Property: { IsStatic: true, Name: "Zero" or "Null" or "NULL" } } => true,
                IObjectCreationOperation { Arguments.Length: 0, Initializer: null, Type.TypeKind: TypeKind.Struct } => true,
                IObjectCreationOperation { Arguments.Length: 1, Type.TypeKind: TypeKind.Struct } creation => IsNoHandle(creation.Arguments[0].Value),
                _ => false,
            };
        }


        /// <summary>True when <paramref name="method"/> runs its delegate arguments on another thread.</summary>
        public bool IsThreadHandoff(IMethodSymbol method)
        {
            IMethodSymbol definition = method.OriginalDefinition;
            INamedTypeSymbol? type = definition.ContainingType;
            if (type is null)
            {
                return false;
            }

            string? typeName = null;
            foreach (ThreadHandoff handoff in ApiTable.ThreadHandoffs)
            {
                if (handoff.MethodName == definition.Name)
                {
                    typeName ??= type.OriginalDefinition.ToDisplayString(FullNameFormat);
                    if (handoff.TypeName == typeName)
                    {
                        return true;
                    }
                }
            }

            return false;
        }

        /// <summary>The runner row when <paramref name="method"/> runs a delegate impersonated (<c>WindowsIdentity.RunImpersonated</c>).</summary>
        public ImpersonatedRunner? ImpersonatedRunnerOf(IMethodSymbol method)
        {
            INamedTypeSymbol? type = method.ContainingType;
            if (type is null)
            {
                return null;
            }

            foreach (ImpersonatedRunner runner in ApiTable.ImpersonatedRunners)
            {
                if (runner.MethodName == method.Name && type.ToDisplayString(FullNameFormat) == runner.TypeName)
                {
                    return runner;
                }
            }

            return null;
        }

        /// <summary>
        /// A method's name without an explicit implementation's interface prefix: <c>AsyncIFoo.Finish_X</c> is
        /// <c>Finish_X</c>. SPEC §2 recognises Begin_/Finish_ methods by this name alone.
        /// </summary>
        public static string SimpleName(IMethodSymbol method) =>
            method.ExplicitInterfaceImplementations.Length > 0 ? method.ExplicitInterfaceImplementations[0].Name : method.Name;

        /// <summary>A <c>Finish_X</c> method (SPEC §2): it runs after Signal, when the call context is gone.</summary>
        public static bool IsFinishMethod(ISymbol symbol) =>
            symbol is IMethodSymbol method
            && SimpleName(method) is { Length: > 7 } name
            && name.StartsWith(ApiTable.FinishPrefix, StringComparison.Ordinal);

        /// <summary>A method COM calls (Begin_ or Finish_), not code that could revert after it.</summary>
        public static bool IsComEntryPoint(IMethodSymbol? method) =>
            method is not null
            && (SimpleName(method).StartsWith(ApiTable.BeginPrefix, StringComparison.Ordinal)
                || SimpleName(method).StartsWith(ApiTable.FinishPrefix, StringComparison.Ordinal));

        /// <summary><c>IServerSecurity.IsImpersonating()</c>: asks the call context whether the thread impersonates.</summary>
        public bool IsImpersonationQuery(IMethodSymbol method) =>
            method.Name == "IsImpersonating"
            && !method.IsStatic
            && method.ContainingType is { TypeKind: TypeKind.Interface or TypeKind.Struct } type
            && IsOrDerivesFrom(type, ApiTable.IServerSecurity);

        /// <summary>True when a call by this simple name could be a thread hand-off (for the syntactic pre-check).</summary>
        public static bool IsThreadHandoffName(string name)
        {
            foreach (ThreadHandoff handoff in ApiTable.ThreadHandoffs)
            {
                if (handoff.MethodName == name)
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>True for the HRESULT helpers that throw only when the result says failure.</summary>
        public static bool IsThrowOnFailure(IMethodSymbol method) => ApiTable.ThrowOnFailureMethods.Contains(method.Name);

        /// <summary>The simple name of the method an invocation calls, as written (for the syntactic pre-check).</summary>
        public static string? InvokedName(InvocationExpressionSyntax invocation)
        {
            ExpressionSyntax expression = invocation.Expression;
            while (true)
            {
                switch (expression)
                {
                    case SimpleNameSyntax simple:
                        return simple.Identifier.ValueText;
                    case MemberAccessExpressionSyntax access:
                        return access.Name.Identifier.ValueText;
                    case MemberBindingExpressionSyntax binding:
                        return binding.Name.Identifier.ValueText;
                    case ParenthesizedExpressionSyntax parenthesized:
                        expression = parenthesized.Expression;
                        continue;
                    case PostfixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.SuppressNullableWarningExpression } bang:
                        expression = bang.Operand;
                        continue;
                    default:
                        return null;
                }
            }
        }

        private static ApiCall ClassifyUncached(IMethodSymbol method)
        {
            if (method.MethodKind != MethodKind.Ordinary || method.ContainingType is not { } type)
            {
                return ApiCall.None;
            }

            if (type.TypeKind == TypeKind.Class && ClassifyManaged(method, type) is { IsRecognized: true } managed)
            {
                return managed;
            }

            if (method.IsStatic)
            {
                return TryGetNativeImport(method, out string? entryPoint, out string? library)
                    ? ClassifyNative(method, entryPoint!, library)
                    : ApiCall.None;
            }

            if (type.TypeKind != TypeKind.Interface && type.TypeKind != TypeKind.Struct)
            {
                // A class that implements IServerSecurity is a managed call context, not the COM API.
                return ApiCall.None;
            }

            foreach (ApiForm form in ApiTable.Forms)
            {
                if (form.Kind == ApiFormKind.ComMethod
                    && string.Equals(method.Name, form.Name, StringComparison.Ordinal)
                    && IsOrDerivesFrom(type, form.ComInterface!))
                {
                    return new ApiCall(form.Operation, ShapeOf(method.ReturnType), type.Name + "." + method.Name, ApiFamily.Com, ImpersonationKind.ComCallContext);
                }
            }

            return ApiCall.None;
        }

        private static ApiCall ClassifyManaged(IMethodSymbol method, INamedTypeSymbol type)
        {
            string? typeName = null;
            foreach (ApiForm form in ApiTable.Forms)
            {
                if (form.Kind == ApiFormKind.ManagedMethod && string.Equals(method.Name, form.Name, StringComparison.Ordinal))
                {
                    typeName ??= type.ToDisplayString(FullNameFormat);
                    if (typeName == form.TypeName)
                    {
                        return new ApiCall(form.Operation, ResultShape.Throws, type.Name + "." + method.Name, form.Family, ImpersonationKind.ExplicitToken);
                    }
                }
            }

            return ApiCall.None;
        }

        private static ApiCall ClassifyNative(IMethodSymbol method, string entryPoint, string? library)
        {
            foreach (ApiForm form in ApiTable.Forms)
            {
                if (form.Kind == ApiFormKind.NativeFunction
                    && string.Equals(entryPoint, form.Name, StringComparison.Ordinal)
                    && form.Libraries!.Matches(library))
                {
                    string display = string.Equals(method.Name, entryPoint, StringComparison.Ordinal)
                        ? entryPoint
                        : method.Name + " (" + entryPoint + ")";
                    ImpersonationKind kind = form.Family == ApiFamily.Com ? ImpersonationKind.ComCallContext : ImpersonationKind.ExplicitToken;
                    return new ApiCall(form.Operation, ShapeOf(method.ReturnType, form.Convention), display, form.Family, kind, form.ArgumentRule);
                }
            }

            return ApiCall.None;
        }

        private static bool TryGetNativeImport(IMethodSymbol method, out string? entryPoint, out string? library)
        {
            DllImportData? dllImport = method.GetDllImportData();
            if (dllImport is not null)
            {
                entryPoint = dllImport.EntryPointName ?? method.Name;
                library = dllImport.ModuleName;
                return true;
            }

            IMethodSymbol declaration = method.PartialDefinitionPart ?? method;
            foreach (AttributeData attribute in declaration.GetAttributes())
            {
                if (attribute.AttributeClass is { } attributeClass
                    && attributeClass.ToDisplayString(FullNameFormat) == LibraryImportAttributeName)
                {
                    library = attribute.ConstructorArguments.Length > 0 ? attribute.ConstructorArguments[0].Value as string : null;
                    entryPoint = method.Name;
                    foreach (KeyValuePair<string, TypedConstant> named in attribute.NamedArguments)
                    {
                        if (named.Key == "EntryPoint" && named.Value.Value is string renamed)
                        {
                            entryPoint = renamed;
                        }
                    }

                    return true;
                }
            }

            entryPoint = null;
            library = null;
            return false;
        }

        private static bool IsOrDerivesFrom(INamedTypeSymbol type, ComInterfaceIdentity identity)
        {
            if (Identifies(type, identity))
            {
                return true;
            }

            if (type.TypeKind == TypeKind.Interface)
            {
                foreach (INamedTypeSymbol baseInterface in type.AllInterfaces)
                {
                    if (Identifies(baseInterface, identity))
                    {
                        return true;
                    }
                }
            }

            return false;
        }

        /// <summary>[Guid] first: a type with a GuidAttribute is identified by it alone; otherwise by its full name.</summary>
        private static bool Identifies(INamedTypeSymbol type, ComInterfaceIdentity identity)
        {
            foreach (AttributeData attribute in type.GetAttributes())
            {
                if (attribute.AttributeClass is { Name: "GuidAttribute" } attributeClass
                    && attributeClass.ToDisplayString(FullNameFormat) == GuidAttributeName)
                {
                    return attribute.ConstructorArguments.Length == 1
                        && attribute.ConstructorArguments[0].Value is string text
                        && Guid.TryParse(text, out Guid guid)
                        && identity.Guids.Contains(guid);
                }
            }

            string fullName = type.ToDisplayString(FullNameFormat);
            return identity.KnownFullNames.Contains(fullName);
        }

        /// <summary>The shape of an HRESULT-returning call (COM, and wrappers of unknown convention).</summary>
        internal static ResultShape ShapeOf(ITypeSymbol returnType) => ShapeOf(returnType, ResultConvention.HResult);

        /// <summary>How a call with this return type and failure convention reports failure.</summary>
        internal static ResultShape ShapeOf(ITypeSymbol returnType, ResultConvention convention)
        {
            if (convention == ResultConvention.Throws || returnType.SpecialType == SpecialType.System_Void)
            {
                return ResultShape.Throws;
            }

            if (returnType.SpecialType == SpecialType.System_Boolean || IsStructNamed(returnType, "BOOL"))
            {
                return ResultShape.Bool; // a bool always says success
            }

            bool isInteger = returnType.SpecialType is SpecialType.System_Int32 or SpecialType.System_UInt32;
            switch (convention)
            {
                case ResultConvention.Win32Bool:
                    return isInteger ? ResultShape.Bool32 : ResultShape.Other;
                case ResultConvention.RpcStatus:
                    return isInteger || returnType.TypeKind == TypeKind.Enum ? ResultShape.Status
                        : IsStructNamed(returnType, "Win32Error") ? ResultShape.HResultStruct
                        : ResultShape.Other;
            }

            switch (returnType.SpecialType)
            {
                case SpecialType.System_Int32:
                    return ResultShape.Int32;
                case SpecialType.System_UInt32:
                    return ResultShape.UInt32;
            }

            return IsStructNamed(returnType, "HRESULT") ? ResultShape.HResultStruct : ResultShape.Other;
        }

        private static bool IsStructNamed(ITypeSymbol type, string name) => type.TypeKind == TypeKind.Struct && type.Name == name;

        private static bool ReferencesRecognisedTypes(IAssemblySymbol assembly, HashSet<string> interfaceNames)
        {
            foreach (string typeName in assembly.TypeNames)
            {
                if (interfaceNames.Contains(typeName))
                {
                    return true;
                }
            }

            // Vanara declares CoImpersonateClient on its Ole32 class.
            return assembly.GetTypeByMetadataName("Vanara.PInvoke.Ole32") is not null;
        }

        private static bool MentionsAny(SyntaxTree tree, ImmutableArray<string> words, CancellationToken cancellationToken) =>
            ContainsAny(tree.GetText(cancellationToken).ToString(), words);

        /// <summary>Does <paramref name="text"/> contain one of <paramref name="words"/> (ordinal, anywhere)?</summary>
        internal static bool ContainsAny(string text, IReadOnlyList<string> words)
        {
            for (int i = 0; i < words.Count; i++)
            {
                if (text.IndexOf(words[i], StringComparison.Ordinal) >= 0)
                {
                    return true;
                }
            }

            return false;
        }

        private static void CollectRenamedImports(SyntaxTree tree, List<string> entryPoints, ImmutableHashSet<string>.Builder names, CancellationToken cancellationToken)
        {
            foreach (SyntaxNode node in tree.GetRoot(cancellationToken).DescendantNodes(n => n is not BlockSyntax && n is not ArrowExpressionClauseSyntax))
            {
                if (node is MethodDeclarationSyntax method && method.AttributeLists.Count > 0)
                {
                    foreach (AttributeListSyntax list in method.AttributeLists)
                    {
                        foreach (AttributeSyntax attribute in list.Attributes)
                        {
                            if (attribute.ArgumentList is null)
                            {
                                continue;
                            }

                            foreach (AttributeArgumentSyntax argument in attribute.ArgumentList.Arguments)
                            {
                                if (argument.Expression is LiteralExpressionSyntax literal
                                    && literal.Token.Value is string value
                                    && entryPoints.Contains(value))
                                {
                                    names.Add(method.Identifier.ValueText);
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
