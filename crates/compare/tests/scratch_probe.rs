use common::config::Config;
use common::data::prepare;
use common::init::init_params;
use common::seed::{Seeds, Stream};
use common::spec::ModelSpec;
use compare::parity::{check_steps, curves::check_curves};

#[test]
fn probe() {
    for cfg in [Config::default(), Config::chapter_route2()] {
        let data = prepare(&cfg).unwrap();
        let spec = ModelSpec::from_config(&cfg, data.n_features(), data.image_shape, data.n_classes()).unwrap();
        let init = init_params(&spec, cfg.model.init, &mut Seeds::new(cfg.seed).rng(Stream::Init));
        let t = std::time::Instant::now();
        let r = check_steps(&cfg, &data, &spec, &init, 1e-10, None).unwrap();
        println!("steps {} max {:e} {:?}\n{}", r.steps, r.max(), t.elapsed(), r.render());
        let t = std::time::Instant::now();
        let c = check_curves(&cfg, &data, &spec, &init, 1.0).unwrap();
        println!("{}\nmax {:e} floor {:e} {:?}", c.render(), c.max_diff(), c.noise_floor(), t.elapsed());
    }
}
