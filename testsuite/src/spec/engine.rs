//! Where a script's compiled modules run: the [`Engine`] a script drives (load an object,
//! instantiate a module, register an instance, call an export, read a global), and
//! [`Local`], the engine of this process (the object loader and the runtime's embedding
//! API).
//!
//! The script side ([`super::script`]) parses, compiles and checks; an engine only runs
//! what it is given. So the same [`Local`] serves in-process runs and, behind
//! [`super::runner`], a runner process on another architecture ([`super::remote`]).

use std::collections::HashMap;

use super::embed::{Extern, Instance, InstantiateError, Module, Unwind, Val};
use super::spectest;

/// A module an engine has loaded, valid for the engine's life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ModuleId(pub u32);

/// An instance an engine has created, valid for the engine's life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InstanceId(pub u32);

/// What a script needs of the machine its modules run on.
pub trait Engine {
    /// The architecture the engine runs code for (`std::env::consts::ARCH`'s spelling): the
    /// objects given to [`Engine::load`] must be compiled for it.
    fn arch(&self) -> &str;
    /// Loads a Kiln object (a library module). `Err` when the loader or the runtime rejects
    /// it, which is a bug.
    fn load(&mut self, object: Vec<u8>) -> Result<ModuleId, String>;
    /// Instantiates `module`, each import taken from the instance registered under its
    /// module name, or from `spectest` when no instance is registered as `spectest`. An
    /// import nobody provides is a [`InstantiateError::Link`].
    fn instantiate(&mut self, module: ModuleId) -> Result<InstanceId, InstantiateError>;
    /// Makes `instance`'s exports importable under `name` (a script's `register`).
    fn register(&mut self, name: &str, instance: InstanceId);
    /// Calls `instance`'s exported function `name`.
    fn call(&mut self, instance: InstanceId, name: &str, args: &[Val]) -> Result<Vec<Val>, Unwind>;
    /// The value of `instance`'s exported global `name`.
    fn global(&mut self, instance: InstanceId, name: &str) -> Result<Val, String>;
}

/// The engine of this process. Modules and instances live as long as it does (instances
/// may refer to other instances' exports, and the loader never unmaps code).
#[derive(Default)]
pub struct Local {
    modules: Vec<Module>,
    instances: Vec<Instance>,
    registered: HashMap<String, InstanceId>,
    /// Created on first use, once per engine: the reference interpreter has one `spectest`
    /// instance, whose memory and table every importer shares.
    spectest: Option<HashMap<&'static str, Extern>>,
}

impl Local {
    pub fn new() -> Local {
        Local::default()
    }

    fn instance(&self, id: InstanceId) -> &Instance {
        &self.instances[id.0 as usize]
    }

    fn import(&mut self, module: &str, name: &str) -> Result<Option<Extern>, InstantiateError> {
        if let Some(&id) = self.registered.get(module) {
            return Ok(self.instance(id).export(name));
        }
        if module != "spectest" {
            return Ok(None);
        }
        if self.spectest.is_none() {
            self.spectest = Some(spectest::exports().map_err(InstantiateError::Other)?);
        }
        Ok(self.spectest.as_ref().and_then(|m| m.get(name)).cloned())
    }
}

fn next_id(len: usize) -> u32 {
    u32::try_from(len).expect("fewer than 2^32 modules and instances")
}

impl Engine for Local {
    fn arch(&self) -> &str {
        std::env::consts::ARCH
    }

    fn load(&mut self, object: Vec<u8>) -> Result<ModuleId, String> {
        // SAFETY: the engine's callers give it objects from Kiln's compiler.
        let desc =
            unsafe { crate::loader::load_module(&object) }.map_err(|e| format!("loader: {e}"))?;
        // SAFETY: `desc` points into the loaded object, which is never unmapped.
        let module = unsafe { Module::from_descriptor(desc) }
            .map_err(|e| format!("Module::from_descriptor: {e}"))?;
        let id = ModuleId(next_id(self.modules.len()));
        self.modules.push(module);
        Ok(id)
    }

    fn instantiate(&mut self, module: ModuleId) -> Result<InstanceId, InstantiateError> {
        let module = self.modules[module.0 as usize];
        let mut imports = Vec::new();
        for imp in &module.info().imports {
            match self.import(&imp.module, &imp.name)? {
                Some(e) => imports.push(e),
                None => {
                    return Err(InstantiateError::Link(format!(
                        "unknown import {}.{}",
                        imp.module, imp.name
                    )))
                }
            }
        }
        let instance = Instance::new(&module, &imports)?;
        let id = InstanceId(next_id(self.instances.len()));
        self.instances.push(instance);
        Ok(id)
    }

    fn register(&mut self, name: &str, instance: InstanceId) {
        self.registered.insert(name.to_string(), instance);
    }

    fn call(&mut self, instance: InstanceId, name: &str, args: &[Val]) -> Result<Vec<Val>, Unwind> {
        self.instance(instance).call(name, args)
    }

    fn global(&mut self, instance: InstanceId, name: &str) -> Result<Val, String> {
        match self.instance(instance).export(name) {
            Some(Extern::Global(g)) => Ok(g.get()),
            Some(_) => Err(format!("export {name} is not a global")),
            None => Err(format!("no export {name}")),
        }
    }
}
