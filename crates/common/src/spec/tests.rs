//! Unit tests of [`super`] (`spec.rs`), kept in their own file to keep the module short.
use super::*;
use crate::config::HeadKind;

fn mlp(hidden: Vec<usize>, dropout: f64, head: HeadKind) -> Config {
    let mut c = Config::default();
    c.model.hidden = hidden;
    c.model.dropout = dropout;
    c.model.head = head;
    c
}

#[test]
fn chapter_route1_mlp() {
    let spec = ModelSpec::from_config(&Config::default(), 2, None, 2).unwrap();
    assert_eq!(
        spec.layers,
        vec![
            LayerSpec::Linear {
                inputs: 2,
                outputs: 32
            },
            LayerSpec::Act {
                act: Activation::Relu
            },
            LayerSpec::Linear {
                inputs: 32,
                outputs: 1
            }
        ]
    );
    assert_eq!(spec.head, Head::Bce);
    assert_eq!(spec.describe(), "2→32→1 relu, bce");
    let names: Vec<String> = spec.params().into_iter().map(|p| p.name).collect();
    assert_eq!(
        names,
        ["net.0.weight", "net.0.bias", "net.2.weight", "net.2.bias"]
    );
    assert_eq!(spec.n_params(), 2 * 32 + 32 + 32 + 1);
    assert_eq!(spec.n_outputs(), 1);
}

#[test]
fn dropout_layers_shift_indices_and_softmax_head() {
    let spec =
        ModelSpec::from_config(&mlp(vec![64, 64], 0.2, HeadKind::Softmax), 2, None, 2).unwrap();
    assert_eq!(spec.layers.len(), 7);
    assert_eq!(spec.layers[2], LayerSpec::Dropout { p: 0.2 });
    let p = spec.params();
    assert_eq!(p[2].name, "net.3.weight");
    assert_eq!(p[2].shape, vec![64, 64]);
    assert_eq!(p[5].name, "net.6.bias");
    assert_eq!(p[5].shape, vec![2]);
    assert_eq!(spec.describe(), "2→64→64→2 relu, dropout 0.2, softmax");
}

#[test]
fn cnn_shapes_and_fan_in() {
    let mut c = mlp(vec![64], 0.0, HeadKind::Auto);
    c.model.kind = ModelKind::Cnn;
    c.model.channels = vec![16, 32];
    let spec = ModelSpec::from_config(&c, 64, Some([1, 8, 8]), 10).unwrap();
    assert_eq!(spec.input_shape, vec![1, 8, 8]);
    assert_eq!(spec.layers[6], LayerSpec::Flatten);
    assert_eq!(
        spec.layers[7],
        LayerSpec::Linear {
            inputs: 32 * 2 * 2,
            outputs: 64
        }
    );
    let p = spec.params();
    assert_eq!(
        (p[0].name.as_str(), p[0].shape.clone(), p[0].fan_in),
        ("net.0.weight", vec![16, 1, 3, 3], 9)
    );
    assert_eq!(
        (p[2].name.as_str(), p[2].shape.clone(), p[2].fan_in),
        ("net.3.weight", vec![32, 16, 3, 3], 144)
    );
    assert_eq!(p[4].name, "net.7.weight");
    assert_eq!(
        spec.describe(),
        "1×8×8→conv16→pool→conv32→pool→flat128→64→10 relu, softmax"
    );
}

#[test]
fn errors_name_the_key() {
    let key = |r: Result<ModelSpec>| r.unwrap_err().to_string();
    assert!(key(ModelSpec::from_config(
        &mlp(vec![8], 0.0, HeadKind::Bce),
        4,
        None,
        3
    ))
    .contains("model.head"));
    assert!(key(ModelSpec::from_config(
        &mlp(vec![8, 0], 0.0, HeadKind::Auto),
        4,
        None,
        2
    ))
    .contains("model.hidden"));
    assert!(key(ModelSpec::from_config(
        &mlp(vec![8], 1.0, HeadKind::Auto),
        4,
        None,
        2
    ))
    .contains("model.dropout"));
    let mut c = mlp(vec![8], 0.0, HeadKind::Auto);
    c.model.kind = ModelKind::Cnn;
    assert!(key(ModelSpec::from_config(&c, 4, None, 2)).contains("model.kind"));
    c.model.channels = vec![8];
    assert!(key(ModelSpec::from_config(&c, 63, Some([1, 8, 8]), 2)).contains("images"));
    c.model.channels = vec![];
    assert!(key(ModelSpec::from_config(&c, 64, Some([1, 8, 8]), 2)).contains("model.channels"));
    c.model.channels = vec![4, 4, 4, 4];
    assert!(key(ModelSpec::from_config(&c, 64, Some([1, 8, 8]), 2)).contains("model.channels"));
}
