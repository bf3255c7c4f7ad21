//! Object-only decoding: serde's derive also accepts a JSON array for a
//! struct (`["abc"]` would be a token), which no schema of the API allows.
//!
//! [`json_object!`] wraps a struct definition. The struct keeps its own
//! derives (`Serialize` among them); its `Deserialize` asks for a map and
//! reads it through a private copy of the struct that derives
//! `Deserialize`, so no public function that accepts an array exists (as
//! `#[serde(remote = "Self")]` would have generated).

/// Defines the struct given, with a `Deserialize` that takes only a JSON
/// object (a map). Fields keep their `#[serde(..)]` attributes; attributes
/// of the struct itself reach only the public struct, so a container-level
/// `#[serde(..)]` (none of the models has one) would apply to `Serialize`
/// alone.
macro_rules! json_object {
    (
        $(#[$attr:meta])*
        pub struct $name:ident {
            $(
                $(#[$field_attr:meta])*
                pub $field:ident : $ty:ty
            ),* $(,)?
        }
    ) => {
        $(#[$attr])*
        pub struct $name {
            $(
                $(#[$field_attr])*
                pub $field: $ty,
            )*
        }

        const _: () = {
            #[derive(serde::Deserialize)]
            struct Fields {
                $(
                    $(#[$field_attr])*
                    $field: $ty,
                )*
            }

            impl<'de> serde::Deserialize<'de> for $name {
                fn deserialize<D: serde::Deserializer<'de>>(
                    deserializer: D,
                ) -> Result<Self, D::Error> {
                    struct ObjectOnly;

                    impl<'de> serde::de::Visitor<'de> for ObjectOnly {
                        type Value = $name;

                        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                            f.write_str(concat!("a JSON object (", stringify!($name), ")"))
                        }

                        fn visit_map<M: serde::de::MapAccess<'de>>(
                            self,
                            map: M,
                        ) -> Result<$name, M::Error> {
                            let fields = <Fields as serde::Deserialize>::deserialize(
                                serde::de::value::MapAccessDeserializer::new(map),
                            )?;
                            Ok($name { $($field: fields.$field),* })
                        }
                    }

                    deserializer.deserialize_map(ObjectOnly)
                }
            }
        };
    };
}

pub(crate) use json_object;

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use crate::{ModelInstance, TokenRolesResponse};

    #[test]
    fn the_type_path_decodes_objects_only() {
        // `T::deserialize` names the trait's function: no inherent function
        // that takes a sequence shadows it.
        let mut array = serde_json::Deserializer::from_str(r#"[["user"]]"#);
        assert!(TokenRolesResponse::deserialize(&mut array).is_err());
        let mut object = serde_json::Deserializer::from_str(r#"{"roles":["user"]}"#);
        let roles = TokenRolesResponse::deserialize(&mut object).expect("an object decodes");
        assert_eq!(roles, TokenRolesResponse::new(["user"]));
    }

    #[test]
    fn field_attributes_still_apply() {
        let error = serde_json::from_str::<ModelInstance>(r#"{"instance_id":"i"}"#)
            .expect_err("required fields are required");
        assert!(error.to_string().contains("missing field"), "{error}");
        let error = serde_json::from_str::<ModelInstance>("[]").expect_err("not an object");
        assert!(
            error.to_string().contains("a JSON object (ModelInstance)"),
            "{error}"
        );
    }
}
