use common::config::*;
use common::data::prepare;
use common::init::init_params;
use common::seed::{Seeds, Stream};
use common::spec::ModelSpec;
use compare::parity::curves::{check_curves, rel};

fn run(name: &str, cfg: Config) {
    let data = prepare(&cfg).unwrap();
    let spec = ModelSpec::from_config(&cfg, data.n_features(), data.image_shape, data.n_classes()).unwrap();
    let init = init_params(&spec, cfg.model.init, &mut Seeds::new(cfg.seed).rng(Stream::Init));
    let c = check_curves(&cfg, &data, &spec, &init, 1.0).unwrap();
    println!("== {name}");
    for e in &c.epochs {
        let f = |v: [f64; 3]| (rel(v[0], v[1]), rel(v[0], v[2]), rel(v[1], v[2]));
        let (a, b, cc) = f(e.train);
        let (d, ee, ff) = f(e.val);
        println!("{:>3} train d={a:.1e} es={b:.1e} et={cc:.1e} | val d={d:.1e} es={ee:.1e} et={ff:.1e}", e.epoch);
    }
}

#[test]
fn probe() {
    let mut cnn = Config::default();
    cnn.data.source = Source::Digits; cnn.model.kind = ModelKind::Cnn; cnn.model.init = InitScheme::Pytorch;
    cnn.optim.lr = 0.05; cnn.optim.momentum = 0.9; cnn.train.epochs = 15; cnn.model.dropout = 0.2; cnn.model.hidden = vec![64];
    run("cnn dropout", cnn.clone());
    cnn.model.dropout = 0.0;
    run("cnn", cnn);
    let mut c = Config::default(); c.train.epochs = 100;
    run("chapter 100", c);
    let mut c = Config::chapter_route2(); c.data.source = Source::Spirals; c.train.epochs = 60; c.optim.lr = 3e-3;
    run("spirals adam", c);
}
